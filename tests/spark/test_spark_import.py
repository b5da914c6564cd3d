"""listclean.spark.importing: export files imported on Spark, a task per file, as one machine imports them."""

from __future__ import annotations

import json

import polars as pl
import pytest

from listclean import api
from test_spark_validate import EXAMPLES, _by_provenance

EXPORTS = [path for path in EXAMPLES if not path.endswith(".toml")]


def _collected(frame) -> pl.DataFrame:
    return pl.from_arrow(frame.toArrow())


def test_the_bundled_exports_import_as_on_one_machine(spark):
    # Six formats and encodings (UTF-16, cp1252, xlsx, NDJSON, a platform's header, a bought source).
    from listclean.spark.importing import import_files

    single, report = api.read(EXPORTS)
    result = import_files(spark, EXPORTS)
    try:
        rows, rejects = _collected(result.rows), _collected(result.rejects)
    finally:
        result.release()
    assert rows.columns == single.columns
    assert _by_provenance(rows).equals(_by_provenance(single))
    assert _by_provenance(rejects).equals(_by_provenance(report.rejects))
    assert result.report.counts == {"rows_in": 24, "rows_out": 22, "rejected": 2, "merged": 0, "quarantined": 1}
    assert [source.as_dict() for source in result.report.sources] == [source.as_dict() for source in report.sources]


def test_columns_of_several_files_are_united_as_on_one_machine(spark, tmp_path):
    # a.csv needs signup_date's raw text kept (a date nobody can read) and has a column of its own;
    # b.csv reads every date and has another: the output has both columns and the _raw one. Both
    # in a folder as another Spark job leaves it (its marker and checksum files beside them),
    # named by the folder.
    from listclean.errors import InputError
    from listclean.spark.importing import import_files

    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / ".a.csv.crc").write_bytes(b"\x00crc")
    a = tmp_path / "a.csv"
    a.write_text("Email,First Name,Signup Date,Tier\n" + "".join(f"a{i}@example.org,Ann{i},2024-01-{i % 28 + 1:02d},gold\n" for i in range(40)) + "zz@example.org,Zed,sometime in May,silver\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text("email;name;created;Favourite colour\n" + "".join(f"b{i}@example.org;Bo {i};03/0{i % 9 + 1}/2024;blue\n" for i in range(25)), encoding="utf-8")
    files = [str(a), str(b)]
    single, report = api.read(files)
    assert "signup_at_raw" in single.columns and {"Tier", "Favourite colour"} <= set(single.columns)
    result = import_files(spark, [str(tmp_path)], piece_rows=7)  # many pieces per file
    try:
        rows = _collected(result.rows)
    finally:
        result.release()
    assert rows.columns == single.columns
    assert _by_provenance(rows).equals(_by_provenance(single))
    assert result.report.counts["rows_out"] == 66
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty: is a folder with no file in it"):
        import_files(spark, [str(tmp_path / "empty")])


def test_a_file_import_refuses_is_the_single_machines_error(spark, tmp_path):
    from listclean.errors import InputError
    from listclean.spark.importing import import_files

    good = tmp_path / "good.csv"
    good.write_text("email\nann@example.org\n", encoding="utf-8")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("email,name\nann@example.org,Ann\nbob@example.org,Bob,EXTRA,MORE\n", encoding="utf-8")
    with pytest.raises(InputError) as single:
        api.read([str(good), str(ragged)])
    with pytest.raises(InputError) as spread:
        import_files(spark, [str(good), str(ragged)])
    assert str(spread.value) == str(single.value) and "ragged.csv" in str(spread.value)


def test_the_spark_submit_import_job_writes_rows_and_rejects_and_the_commands_summary(spark, cli, tmp_path, capsys):
    from listclean.spark.job import main

    single = cli(["import", *EXPORTS, "-o", tmp_path / "contacts.parquet", "--rejects", tmp_path / "rejects.csv", "--json"])
    assert single.exit_code == 0, single.stderr
    expected = json.loads(single.stdout)
    capsys.readouterr()
    output, rejects = tmp_path / "spark-contacts", tmp_path / "spark-rejects"
    assert main(["import", *EXPORTS, "--output", str(output), "--rejects", str(rejects)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    paths = {"output", "rejects", "engine", "listclean"}
    assert {k: v for k, v in summary.items() if k not in paths} == {k: v for k, v in expected.items() if k not in paths}
    assert pl.read_parquet(output / "*.parquet").height == summary["rows_out"] == 22
    assert pl.read_parquet(rejects / "*.parquet").height == 2


def test_the_import_job_says_what_is_wrong_in_one_line(spark, tmp_path, capsys):
    from listclean.spark.job import main

    ragged = tmp_path / "ragged.csv"
    ragged.write_text("email,name\nann@example.org,Ann\nbob@example.org,Bob,EXTRA\n", encoding="utf-8")
    assert main(["import", str(ragged), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("listclean: error: ") and "ragged.csv" in err[0]


def test_the_suppression_store_is_applied_to_every_file_as_on_one_machine(spark, cli, tmp_path, capsys):
    # An erased person's rows leave the import (rejects without their data); an unsubscribed one
    # stays, marked unsubscribed, whatever the file said.
    from listclean.runtime import Runtime
    from listclean.spark.importing import import_files
    from listclean.steps.erase import erase_step
    from listclean.store import SuppressionStore

    store = tmp_path / "store.tsv"
    with Runtime() as runtime:
        erase_step(["Gone@Example.org"], [], str(store), runtime)
    opened = SuppressionStore.open(str(store))
    opened.add("kept@example.org", "unsubscribed")
    opened.save()
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("email,status\ngone@example.org,subscribed\nann@example.org,subscribed\n", encoding="utf-8")
    second.write_text("email,status\nKEPT@example.org,subscribed\nGONE@EXAMPLE.ORG,subscribed\nbo@example.org,\n", encoding="utf-8")
    files = [str(first), str(second)]
    single = cli(["import", *files, "-o", tmp_path / "contacts.parquet", "--rejects", tmp_path / "rejects.csv", "--store", store, "--json"])
    assert single.exit_code == 0, single.stderr
    expected = json.loads(single.stdout)
    result = import_files(spark, files, store=str(store))
    try:
        rows, rejects = _collected(result.rows), _collected(result.rejects)
    finally:
        result.release()
    assert _by_provenance(rows).equals(_by_provenance(pl.read_parquet(tmp_path / "contacts.parquet")))
    assert rows.filter(pl.col("email") == "KEPT@example.org")["consent_status"].to_list() == ["unsubscribed"]
    assert sorted(rejects["reason"].to_list()) == ["erased", "erased"] and set(rejects["raw"].to_list()) == {""}
    summary = result.report.summary(output=expected["output"], rejects=expected["rejects"])
    assert {k: v for k, v in summary.items() if k != "listclean"} == {k: v for k, v in expected.items() if k != "listclean"}
