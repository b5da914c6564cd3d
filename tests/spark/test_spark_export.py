"""listclean.spark.export: the single machine's export, row for row, over any partitioning — and no
suppressed, unsubscribed or erased person reaches a file, whichever partition their other spelling is in."""

from __future__ import annotations

import hashlib
import importlib
import shutil
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from listclean import api
from listclean.suppression import key_of
from test_spark_validate import _canonical_parquet

AS_OF = datetime(2026, 11, 30, tzinfo=timezone.utc)
# The hard rows: first, the people whose unsubscribe is written in one spelling and whose other
# spelling is at the other end of the list (another partition); then consent, platforms, cells.
HARD = [
    # email, first_name, phone, consent_status, consent_at, consent_source, consent_status_raw
    ("jane.doe@gmail.com", "Jane", None, "unsubscribed", "2026-10-01", "preference centre", None),
    ("Carl@Firma.PL", "Carl", None, "complained", None, None, None),
    ("bad@firma.pl", "Bad", None, "unsubscribed", None, None, None),
    ("anna.nowak@firma.pl", "Anna", "+48600100200", "subscribed", "2024-03-05", "signup form", None),
    ("bob@firma.pl", "Bob", "600 100 200", "pending", None, None, None),
    ("dee@firma.pl", "Dee", "+48221234567", None, None, None, None),
    ("zed@firma.pl", "Zed", None, None, None, None, "maybe"),
    ("old@firma.pl", "Old", None, "subscribed", "2024-01-02", "purchase", None),  # implied consent expired
    ("soon@firma.pl", "Soon", None, "subscribed", "2024-12-20", "purchase", None),  # ... expiring
    ("jürgen.müller@web.de", "Jürgen", "+4930123456", "subscribed", "2023-06-01", "signup form", None),  # Mailchimp refuses it
    ("not-an-address", "Nomail", None, "subscribed", None, None, None),
    (None, "Empty", None, "subscribed", None, None, None),
    ("eva@firma.pl", 'Smith, "Jr"', "+48221234568", "subscribed", "2025-01-05", "signup form", None),  # a cell CSV must quote
    ("ola@firma.pl", "  Ola ", None, "bounced", None, None, None),
    ("=cmd@firma.pl", "=HYPERLINK(1)", "+48600100299", "subscribed", None, None, None),  # cells a spreadsheet would run
    ("listed@firma.pl", "Listed", None, "subscribed", None, None, None),  # on the --suppress list (as LISTED@...)
    ("gone@firma.pl", "Gone", None, "subscribed", None, None, None),  # erased in the store
    ("kept@store.pl", "Kept", None, "subscribed", None, None, None),  # unsubscribed in the store
]
LAST = [
    ("MAILTO:Jane.Doe+news@googlemail.com", "Jane", None, "subscribed", "2026-11-01", "signup form", None),  # Jane's other spelling
    ("carl@firma.pl", "Carl", None, "subscribed", "2024-01-02", "purchase", None),  # Carl again: expired too, but suppressed first
    ("Gone@Firma.PL", "Gone", None, "subscribed", None, None, None),
    ("ok@firma.pl; BAD@Firma.pl", "Ok", None, "subscribed", None, None, None),  # the cell's second address is unsubscribed
]
COLUMNS = ["email", "first_name", "phone", "consent_status", "consent_at", "consent_source", "consent_status_raw"]


def _contacts(filler: int = 40) -> pl.DataFrame:
    statuses = ["subscribed", "subscribed", "pending", None, "unsubscribed"]
    middle = [(f"p{i}@firma.pl", f"P{i}", f"+4860010{i:04d}", statuses[i % 5], "2025-06-01" if i % 3 else None, "signup form", None) for i in range(filler)]
    rows = HARD + middle + LAST
    frame = pl.DataFrame([dict(zip(COLUMNS, row)) for row in rows], schema={name: pl.String for name in COLUMNS}, orient="row")
    contacts, _ = api.read(frame, default_country="PL")
    validated, _ = api.validate(contacts)
    return validated


@pytest.fixture(scope="module")
def contacts_path(tmp_path_factory):
    return _canonical_parquet(tmp_path_factory.mktemp("export"), _contacts())


@pytest.fixture
def suppression(tmp_path):
    """A --suppress list and a store (with its key) the single machine and Spark each get a copy of."""
    return suppression_files(tmp_path)


def suppression_files(tmp_path: Path) -> tuple[Path, Path]:
    """A --suppress list (LISTED@firma.pl) and a store: gone@firma.pl erased, kept@store.pl unsubscribed."""
    listed = tmp_path / "dnm.txt"
    listed.write_text("LISTED@firma.pl\n")
    from listclean.runtime import Runtime
    from listclean.steps.erase import erase_step
    from listclean.store import SuppressionStore

    store = tmp_path / "store.tsv"
    with Runtime() as runtime:
        erase_step(["gone@firma.pl"], [], str(store), runtime)
    opened = SuppressionStore.open(str(store))
    opened.add("kept@store.pl", "unsubscribed")
    opened.save()
    return listed, store


def _copy_store(store: Path, folder: Path) -> Path:
    folder.mkdir()
    for name in (store.name, store.name + ".key"):
        shutil.copy(store.parent / name, folder / name)
    return folder / store.name


def _spread(spark, path: str, partitions: int):
    """The list over `partitions` partitions of consecutive rows: the first rows and the last are apart."""
    return spark.read.parquet(path).repartitionByRange(partitions, "_source_row")


def _on_spark(spark, path, partitions, **options):
    from listclean.spark.export import export
    from listclean.steps.export import ExportStepOptions

    return export(_spread(spark, path, partitions), ExportStepOptions(as_of=AS_OF, **options))


def _frame(spark_frame) -> pl.DataFrame:
    return pl.from_arrow(spark_frame.toArrow())


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    by = ["_source_file", "_source_row"] if "_source_row" in frame.columns else frame.columns
    return frame.sort(by, nulls_last=True)


def _rejects(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("_source_row", "reason", "detail")


def _summary(report) -> dict:
    summary = report.summary()
    summary.pop("files")
    summary.pop("format")
    return summary


CASES = [
    ({"to": "csv"}, 5),
    ({"to": "mailchimp"}, 1),
    ({"to": "mailchimp"}, 5),
    ({"to": "klaviyo", "consent_policy": "subscribed+pending"}, 4),
    ({"to": "brevo", "keep_invalid": True}, 3),
    ({"to": "google-customer-match"}, 4),
    ({"hash": "sha256"}, 6),
    ({"columns": "email,first_name,consent_status"}, 3),
    ({"to": "hubspot", "excel_safe": True}, 4),
]


@pytest.mark.parametrize(("options", "partitions"), CASES, ids=[f"{'-'.join(map(str, o.values()))}-{n}" for o, n in CASES])
def test_the_export_rejects_and_report_are_the_single_machines(spark, contacts_path, options, partitions):
    single, report = api.export(contacts_path, as_of=AS_OF, **options)
    result = _on_spark(spark, contacts_path, partitions, **options)
    exported = _frame(result.exported)
    assert exported.columns == single.columns
    assert _sorted(exported).equals(_sorted(single))
    assert _rejects(_frame(result.rejects)).equals(_rejects(report.rejects))
    spread = result.report()
    assert _summary(spread) == _summary(report)
    counts = spread.counts
    assert counts["rows_in"] == counts["rows_out"] + counts["rejected"] == _contacts().height
    assert counts["rows_out"] > 0 and counts["rejected"] >= 10
    result.release()


def test_an_unsubscribe_in_another_spelling_in_another_partition_never_leaks(spark, contacts_path):
    from pyspark.sql import functions as F

    spread = _spread(spark, contacts_path, 4).withColumn("partition", F.spark_partition_id())
    where = dict(_frame(spread.select("email", "partition")).drop_nulls().iter_rows())
    assert where["jane.doe@gmail.com"] != where["MAILTO:Jane.Doe+news@googlemail.com"]
    assert where["Carl@Firma.PL"] != where["carl@firma.pl"] and where["bad@firma.pl"] != where["ok@firma.pl; BAD@Firma.pl"]
    for options in ({"to": "csv"}, {"to": "mailchimp"}, {"hash": "sha256"}):
        result = _on_spark(spark, contacts_path, 4, **options)
        contacts = _frame(result.contacts)
        keys = {key_of(address) for address in contacts["email"].drop_nulls().to_list()}
        assert not keys & {"janedoe@gmail.com", "carl@firma.pl", "bad@firma.pl"}
        reasons = dict(_frame(result.rejects).select("raw", "detail").iter_rows())
        assert reasons["MAILTO:Jane.Doe+news@googlemail.com"] == "the same address is suppressed in another row"
        # Carl's second row is also expired implied consent: suppression is decided first, as on one machine.
        assert reasons["carl@firma.pl"] == "the same address is suppressed in another row"
        assert reasons["ok@firma.pl; BAD@Firma.pl"] == "the cell also holds an address that is suppressed"
        result.release()


def test_the_store_and_lists_are_honoured_and_the_store_learns_as_on_one_machine(spark, contacts_path, suppression, tmp_path):
    listed, store = suppression
    single_store, spark_store = _copy_store(store, tmp_path / "single"), _copy_store(store, tmp_path / "spark")
    single, report = api.export(contacts_path, to="mailchimp", as_of=AS_OF, store=str(single_store), suppress=str(listed))
    result = _on_spark(spark, contacts_path, 5, to="mailchimp", store=str(spark_store), suppress=[str(listed)])
    exported = _frame(result.exported)
    assert _sorted(exported).equals(_sorted(single))
    assert not {"listed@firma.pl", "gone@firma.pl", "kept@store.pl"} & set(exported["Email Address"].to_list())
    rejects = _frame(result.rejects)
    assert _rejects(rejects).equals(_rejects(report.rejects))
    erased = rejects.filter(pl.col("reason") == "erased")
    assert erased.height == 2 and set(erased["raw"]) == {""}  # only provenance: an erased person's data is written nowhere
    files = result.write(str(tmp_path / "out"))
    learned = spark_store.read_text()
    assert files and learned == single_store.read_text() and learned != store.read_text()
    assert "jane.doe@gmail.com\tunsubscribed" in learned and "listed@firma.pl\tsuppression_list" in learned and "gone@" not in learned
    assert _summary(result.report()) == _summary(report)
    result.release()


def _read_parts(files: list[str]) -> list[pl.DataFrame]:
    return [pl.read_csv(name.removeprefix("file:"), infer_schema=False) for name in files]


def test_written_parts_hold_the_single_machines_rows_within_the_limit_and_pass_the_read_back(spark, contacts_path, tmp_path):
    single_out = tmp_path / "single.csv"
    _, report = api.export(contacts_path, to="mailchimp", as_of=AS_OF, output=str(single_out), max_rows=4)
    result = _on_spark(spark, contacts_path, 3, to="mailchimp", max_rows=4)
    files = result.write(str(tmp_path / "spark"))
    parts = _read_parts(files)
    assert len(files) >= len(report.files) and all(0 < part.height <= 4 for part in parts)
    assert all(part.columns == parts[0].columns for part in parts)  # the platform's header in every part
    expected = pl.concat(_read_parts(report.files))
    assert _sorted(pl.concat(parts)).equals(_sorted(expected))
    # The CSV cells as the single machine writes them: a quoted name, spaces kept, UTF-8.
    lines = {line for name in files for line in Path(name.removeprefix("file:")).read_text(encoding="utf-8").splitlines()[1:]}
    single_lines = {line for name in report.files for line in Path(name).read_text(encoding="utf-8").splitlines()[1:]}
    assert lines == single_lines and any('"Smith, ""Jr"""' in line for line in lines)
    result.release()


def test_a_plain_export_writes_parquet_that_reads_back_as_the_rows(spark, contacts_path, tmp_path):
    result = _on_spark(spark, contacts_path, 3)
    result.write(str(tmp_path / "out"), format="parquet")
    written = pl.read_parquet(str(tmp_path / "out" / "*.parquet"))
    assert _sorted(written).equals(_sorted(_frame(result.exported)))
    result.release()


@pytest.mark.parametrize(("options", "header", "planted"), [
    ({"to": "csv"}, "email", "Jane.Doe@GoogleMail.com"),
    ({"to": "mailchimp"}, "Email Address", "CARL@firma.pl"),
    ({"hash": "sha256"}, "email_sha256", hashlib.sha256(b"jane.doe+news@googlemail.com").hexdigest()),
    ({"to": "google-customer-match"}, "Email", hashlib.sha256(b"janedoe@gmail.com").hexdigest()),
])  # fmt: skip
def test_a_planted_leak_fails_the_read_back_and_removes_the_files(spark, contacts_path, tmp_path, options, header, planted):
    from listclean.errors import OutputError
    spark_export = importlib.import_module("listclean.spark.export")  # the module (listclean.spark's `export` is the function)

    result = _on_spark(spark, contacts_path, 3, **options)
    folder = tmp_path / "out"
    spark_export._write(result, str(folder), None, False)
    spark_export._check_written(result, str(folder), "csv")  # what was written is clean
    columns = pl.read_csv(next(folder.glob("part-*.csv")), infer_schema=False, n_rows=0).columns
    planted_row = {name: (planted if name == header else None) for name in columns}
    pl.DataFrame([planted_row], schema={name: pl.String for name in columns}).write_csv(folder / "part-99999-planted.csv")
    with pytest.raises(OutputError, match="1 suppressed address"):
        spark_export._check_written(result, str(folder), "csv")
    assert not folder.exists()
    result.release()


OPT_OUTS = [
    (["--to", "mailchimp", "--suppressions"], {"to": "mailchimp", "suppressions": True}, 4),  # two files: unsubscribed, cleaned
    (["--suppressions", "--since", "2026-01-01"], {"suppressions": True, "since": datetime(2026, 1, 1, tzinfo=timezone.utc)}, 3),  # email, reason, date
    (["--to", "google-customer-match", "--exclusion"], {"to": "google-customer-match", "exclusion": True}, 5),  # hashed
]


@pytest.mark.parametrize(("flags", "options", "partitions"), OPT_OUTS)
def test_opt_out_files_are_the_single_machines(spark, cli, contacts_path, suppression, tmp_path, flags, options, partitions):
    """Every opt-out file, row for row, over partitions of consecutive rows: Jane unsubscribed at the
    top of the list and subscribed in another spelling at its end (both opted out), the store's
    unsubscribe and erasure (never written, in any spelling), the --suppress list."""
    import json

    listed, store = suppression
    single = cli(["export", contacts_path, "-o", tmp_path / "optouts.csv", "--store", store, "--suppress", listed, "--json", *flags])
    assert single.exit_code == 0, single.stderr
    expected = json.loads(single.stdout)
    result = _on_spark(spark, contacts_path, partitions, store=str(store), suppress=[str(listed)], **options)
    try:
        written = result.write(str(tmp_path / "spark.csv"))
        report = result.report()
    finally:
        result.release()
    assert {k: v for k, v in _summary(report).items() if k != "output"} == {k: v for k, v in expected.items() if k not in ("files", "format", "output", "listclean")}
    assert report.opt_outs.addresses > 5 and report.opt_outs.erased_rows == 2
    assert len(expected["files"]) == len({Path(name).parent for name in written})  # a folder where one machine writes a file
    for file in expected["files"]:
        one = pl.read_csv(file, infer_schema=False)
        folder = tmp_path / Path(file).name.replace("optouts", "spark")
        spread = pl.concat([pl.read_csv(part, infer_schema=False) for part in sorted(folder.glob("part-*.csv"))])
        assert spread.columns == one.columns and spread.sort(spread.columns).equals(one.sort(one.columns)), file
    addresses = pl.concat([pl.read_csv(file, infer_schema=False)[:, 0] for file in expected["files"]]).to_list()
    if "exclusion" in options:
        addresses = [hashlib.sha256(b"janedoe@gmail.com").hexdigest() in addresses, hashlib.sha256(b"gone@firma.pl").hexdigest() not in addresses]
        assert addresses == [True, True]
    else:
        assert {"jane.doe@gmail.com", "jane.doe+news@googlemail.com", "listed@firma.pl", "kept@store.pl"} <= set(addresses)
        assert not any("gone" in address for address in addresses)  # erased: never written


def test_an_erased_person_in_a_written_opt_out_file_fails_the_read_back(spark, tmp_path):
    from listclean.errors import OutputError
    from listclean.spark import opt_outs as spark_opt_outs

    contacts, _ = api.read(pl.DataFrame({"email": ["gone@firma.pl", "out@firma.pl"], "consent_status": ["erased", "unsubscribed"]}))
    path = _canonical_parquet(tmp_path, contacts)
    result = _on_spark(spark, path, 2, to="sendgrid", suppressions=True)
    folder = tmp_path / "optouts"
    assert Path(result.write(str(folder))[0]).exists() and result.report().opt_outs.erased_rows == 1
    (folder / "part-planted.csv").write_text("email\nGONE@firma.pl\n")  # a leak planted where the read-back reads
    with pytest.raises(OutputError, match="erased"):
        spark_opt_outs._check_written(result, [str(folder)])
    assert not folder.exists()
    result.release()


def test_an_export_of_no_one_writes_no_row_and_accounts_for_everyone(spark, tmp_path):
    contacts, _ = api.read(pl.DataFrame({"email": ["ann@firma.pl", "ANN@firma.pl", None], "consent_status": ["unsubscribed", "subscribed", "bounced"]}))
    path = _canonical_parquet(tmp_path, contacts)
    single, report = api.export(path, to="klaviyo", as_of=AS_OF)
    result = _on_spark(spark, path, 2, to="klaviyo")
    assert _frame(result.exported).equals(single) and single.height == 0
    assert _summary(result.report()) == _summary(report)
    files = result.write(str(tmp_path / "out"))
    assert sum(len(Path(name.removeprefix("file:")).read_text().splitlines()) - 1 for name in files) == 0
    result.release()


def test_the_spark_submit_export_job_writes_the_platforms_files_and_the_commands_summary(spark, cli, contacts_path, tmp_path, capsys):
    import json

    from listclean.spark.job import main

    listed = tmp_path / "dnm.txt"
    listed.write_text("LISTED@firma.pl\n")
    single = cli(["export", contacts_path, "--to", "mailchimp", "-o", tmp_path / "mailchimp.csv", "--suppress", listed, "--as-of", "2026-11-30", "--json"])
    assert single.exit_code == 0, single.stderr
    expected = json.loads(single.stdout)
    capsys.readouterr()
    folder, rejects = tmp_path / "spark-mailchimp", tmp_path / "spark-rejects"
    argv = ["export", contacts_path, str(folder), "--to", "mailchimp", "--suppress", str(listed), "--as-of", "2026-11-30", "--rejects", str(rejects), "--partitions", "3"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    paths = {"output", "rejects", "files", "engine", "listclean"}
    assert {k: v for k, v in summary.items() if k not in paths} == {k: v for k, v in expected.items() if k not in paths}
    written = pl.concat([pl.read_csv(path, infer_schema=False) for path in sorted(folder.glob("*.csv"))])
    assert written.sort(written.columns).equals(pl.read_csv(tmp_path / "mailchimp.csv", infer_schema=False).sort(written.columns))
    assert pl.read_parquet(rejects / "*.parquet").height == summary["rejected"] > 0
    addresses = written["Email Address"].str.to_lowercase()
    assert not addresses.str.contains("jane").any() and not addresses.str.contains("listed@").any()  # unsubscribed in another spelling; listed


def test_the_spark_submit_export_job_writes_the_opt_out_file_and_the_commands_summary(spark, cli, contacts_path, tmp_path, capsys):
    import json

    from listclean.spark.job import main

    single = cli(["export", contacts_path, "--to", "sendgrid", "--suppressions", "--since", "2026-01-01", "-o", tmp_path / "optouts.csv", "--json"])
    assert single.exit_code == 0, single.stderr
    expected = json.loads(single.stdout)
    capsys.readouterr()
    folder = tmp_path / "spark-optouts.csv"
    assert main(["export", contacts_path, str(folder), "--to", "sendgrid", "--suppressions", "--since", "2026-01-01", "--partitions", "3"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    paths = {"output", "files", "engine", "listclean"}
    assert {k: v for k, v in summary.items() if k not in paths} == {k: v for k, v in expected.items() if k not in paths}
    assert summary["opt_outs"]["before_since"] > 0 and summary["rows_out"] == summary["opt_outs"]["addresses"] > 3
    written = pl.concat([pl.read_csv(path, infer_schema=False) for path in sorted(folder.glob("part-*.csv"))])
    assert written.sort("email").equals(pl.read_csv(tmp_path / "optouts.csv", infer_schema=False).sort("email"))
    assert main(["export", contacts_path, str(folder), "--suppressions", "--since", "yesterday"]) == 2
