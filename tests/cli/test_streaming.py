"""Large inputs stream a chunk of rows at a time: the output is the same as read whole."""

from __future__ import annotations

import json

import polars as pl
import pytest


@pytest.fixture(autouse=True)
def _spill_early(monkeypatch):
    """Spools hold a few kilobytes here, not the default 256 MB: chunks of a few rows are
    then held, spilled to Parquet and read back, as a large list's are."""
    monkeypatch.setattr("listclean.stream.budget.DEFAULT_SPOOL_BYTES", 2_000)

MESSY = (
    "E-Mail,Vorname,Telefon,signup_at,Land,Notiz\n"
    + "".join(
        f'user{i}@firma{i % 5}.pl,Anna{i},+48 600 100 {i:03d},{(i % 28) + 1:02d}/03/2024,{"PL" if i % 3 else "Polen"},"line one\nline two, {i}"\n'
        for i in range(40)
    )
    + ",,,,,\n"  # an empty row, rejected
    + " ann@firma.pl ,Ann,not a phone,someday,Atlantis,\n"  # repairs and uninterpretable values, late in the file
)


def _run(cli, tmp_path, name, args, chunk_rows):
    env = {"LISTCLEAN_CHUNK_ROWS": str(chunk_rows)} if chunk_rows else None
    result = cli(["-v", *args, "-o", tmp_path / name, "--force", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.parametrize("suffix", ["csv", "parquet", "ndjson"])
def test_import_in_chunks_writes_exactly_what_a_whole_read_writes(cli, tmp_path, suffix):
    source = tmp_path / "messy.csv"
    source.write_text(MESSY)
    whole = _run(cli, tmp_path, f"whole.{suffix}", ["import", source, "--rejects", tmp_path / "whole_rejects.csv"], None)
    chunked = _run(cli, tmp_path, f"chunked.{suffix}", ["import", source, "--rejects", tmp_path / "chunked_rejects.csv"], 4)
    if suffix == "parquet":
        assert pl.read_parquet(tmp_path / "chunked.parquet").equals(pl.read_parquet(tmp_path / "whole.parquet"))
    else:
        assert (tmp_path / f"chunked.{suffix}").read_bytes() == (tmp_path / f"whole.{suffix}").read_bytes()
    assert (tmp_path / "chunked_rejects.csv").read_text() == (tmp_path / "whole_rejects.csv").read_text()
    assert _summary(chunked) == _summary(whole)  # the same counts, columns and per-file notes
    assert _summary(whole)["rejected"] == 1 and "signup_at_raw" in _summary(whole)["columns"]


def _summary(result) -> dict:
    summary = json.loads(result.stdout)
    return {key: value for key, value in summary.items() if key not in ("output", "rejects")}


def _signup_log(rows: int) -> str:
    """An NDJSON signup log whose later lines change what the whole file's columns are."""
    lines = []
    for i in range(rows):
        record: dict = {"E-Mail": f"user{i}@firma{i % 5}.pl", "Vorname": f"Anna{i}", "signup_at": f"{(i % 28) + 1:02d}/03/2024"}
        if i in (3, 9):
            record["Kundennummer"] = 17 + i  # a number in early lines...
        if i == 25:
            record["Kundennummer"] = "K-25"  # ...and text in a late one: text in every chunk
        if i == 20:
            record["Adresse"] = {"Stadt": "Kraków", "PLZ": "30-001"}  # a key first seen late, nested
        lines.append(json.dumps(record, ensure_ascii=False))
    lines[10:10] = ["", "   "]  # blank lines: no records
    return "\n".join(lines) + "\n"


def test_an_ndjson_input_is_read_in_chunks_exactly_as_whole(cli, tmp_path):
    source = tmp_path / "signups.ndjson"
    source.write_text(_signup_log(30), encoding="utf-8")
    whole = _run(cli, tmp_path, "whole.csv", ["import", source, "--rejects", tmp_path / "whole_rejects.csv"], None)
    chunked = _run(cli, tmp_path, "chunked.csv", ["import", source, "--rejects", tmp_path / "chunked_rejects.csv"], 4)
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert _summary(chunked) == _summary(whole)
    rows = pl.read_csv(tmp_path / "whole.csv", infer_schema=False)
    assert rows["_source_row"].to_list() == [str(n) for n in range(1, 31)]  # numbered across chunks
    assert rows["Kundennummer"].drop_nulls().to_list() == ["20", "26", "K-25"]
    assert '"Stadt":"Kraków"' in rows["address_line1"].drop_nulls()[0]  # "Adresse" is a name for address_line1


def test_a_broken_line_late_in_a_large_ndjson_is_named(cli, tmp_path):
    source = tmp_path / "signups.ndjson"
    source.write_text(_signup_log(30) + '{"E-Mail": "late@firma.pl", \n', encoding="utf-8")
    result = cli(["import", source, "-o", tmp_path / "out.csv"], env={"LISTCLEAN_CHUNK_ROWS": "4"})
    assert result.exit_code == 2
    assert "signups.ndjson:33" in result.stderr and "invalid JSON" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_listclean_parquet_is_read_back_in_chunks(cli, tmp_path):
    source = tmp_path / "messy.csv"
    source.write_text(MESSY)
    _run(cli, tmp_path, "first.parquet", ["import", source], None)
    _run(cli, tmp_path, "again.parquet", ["import", tmp_path / "first.parquet"], 7)
    assert pl.read_parquet(tmp_path / "again.parquet").equals(pl.read_parquet(tmp_path / "first.parquet"))


def test_validate_in_chunks_writes_and_reports_exactly_what_a_whole_run_does(cli, tmp_path):
    source = tmp_path / "messy.csv"
    extra = "".join(f"x{i}@gmial.com,X,,,,\n" for i in range(5)) + "info@firma1.pl,Info,,,,\n<bob@firma2.pl>; carl@firma2.pl,B,,,,\n"
    source.write_text(MESSY + extra)
    args = ["validate", source, "--drop", "invalid", "--fail-on", "invalid>90%"]
    whole = _run(cli, tmp_path, "whole.csv", [*args, "--rejects", tmp_path / "whole_rejects.csv"], None)
    chunked = _run(cli, tmp_path, "chunked.csv", [*args, "--rejects", tmp_path / "chunked_rejects.csv"], 4)
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert (tmp_path / "chunked_rejects.csv").read_text() == (tmp_path / "whole_rejects.csv").read_text()
    whole_summary, chunked_summary = _summary(whole), _summary(chunked)
    # Each chunk judges its own distinct addresses; everything else adds up to the whole run's figures.
    for summary in (whole_summary, chunked_summary):
        summary.pop("distinct_addresses"), summary.pop("decided_without_email_validator")
    assert chunked_summary == whole_summary
    assert whole_summary["top_typos"] == [{"typed": "gmial.com", "suggested": "gmail.com", "rows": 5}]
    assert "email_alternates" in pl.read_csv(tmp_path / "whole.csv").columns  # from one chunk only, kept


EXPORTABLE = (
    "email,first_name,consent_status,consent_at,consent_source,source\n"
    + "".join(f"p{i}@firma.pl,P{i},subscribed,2026-01-01,form,web\n" for i in range(30))
    + "p3@firma.pl,P3,unsubscribed,2026-02-01,form,web\n"  # p3 unsubscribed in the last chunk: never exported
    + "listed@firma.pl,L,subscribed,2026-01-01,form,web\n"
)


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--to", "mailchimp", "--max-rows", "7"],
        ["--hash", "sha256"],
        ["--columns", "email,first_name", "--excel-safe"],
    ],
    ids=["csv", "mailchimp-parts", "hash", "columns"],
)
def test_export_in_chunks_writes_exactly_what_a_whole_run_does(cli, tmp_path, extra):
    source = tmp_path / "list.csv"
    source.write_text(EXPORTABLE)
    (tmp_path / "suppress.txt").write_text("listed@firma.pl\n")
    outputs = {}
    for label, rows in (("whole", None), ("chunked", 4)):
        (tmp_path / label).mkdir()
        args = ["export", source, *extra, "--suppress", tmp_path / "suppress.txt", "--store", tmp_path / label / "store.tsv",
                "--rejects", tmp_path / label / "rejects.csv"]
        result = _run(cli, tmp_path, f"{label}/out.csv", args, rows)
        outputs[label] = (_summary(result), {p.name: p.read_bytes() for p in sorted((tmp_path / label).iterdir())})
    (whole_summary, whole_files), (chunked_summary, chunked_files) = outputs["whole"], outputs["chunked"]
    assert chunked_summary["suppressed"] == whole_summary["suppressed"] == 3  # both p3 rows and the listed one
    assert {k: v for k, v in chunked_summary.items() if k != "files"} == {k: v for k, v in whole_summary.items() if k != "files"}
    whole_files.pop("store.tsv.key", None), chunked_files.pop("store.tsv.key", None)
    assert chunked_files.keys() == whole_files.keys()
    for name in whole_files:
        if name != "store.tsv":  # the store's lines carry the time they were added
            assert chunked_files[name] == whole_files[name], name
    exported = b"".join(content for name, content in whole_files.items() if name.startswith("out"))
    assert b"p3@firma.pl" not in exported and b"listed@firma.pl" not in exported


PEOPLE = (
    "email,first_name,last_name,phone,consent_status,signup_at,tags\n"
    + "".join(f"person{i}@firma.pl,Person,Number{i},+4860010{i:04d},subscribed,2024-01-{1 + i % 28:02d},t{i % 3}\n" for i in range(40))
    + "Person3@Firma.pl,Person,Number3,,unsubscribed,2025-01-01,late\n"  # the same person, much later in the file
    + "family@home.pl,Anna,Kowalska,,subscribed,2024-02-01,\n"
    + "family@home.pl,Jan,Kowalski,,subscribed,2024-02-02,\n"  # a shared inbox: kept apart
    + "family@home.pl,Anna,Kowalska,,subscribed,2024-03-01,again\n"
    + ",Phone,Only,+48600999999,subscribed,2024-01-01,\n"
    + ",Phone,Only,+48600999999,subscribed,2024-01-02,\n"  # no address: the phone is the identity
    + "person7@firma.pl,Person,Number7,,subscribed,2024-05-05,\n"
)


@pytest.mark.parametrize(
    "match, extra",
    [("exact", []), ("canonical", []), ("fuzzy", []), ("fuzzy", ["--max-block-size", "3"])],
    ids=["exact", "canonical", "fuzzy", "fuzzy-small-blocks"],
)
def test_dedupe_in_parts_writes_exactly_what_a_whole_run_does(cli, tmp_path, match, extra):
    source = tmp_path / "people.csv"
    source.write_text(PEOPLE)
    results = {}
    for label, rows in (("whole", None), ("parts", 10)):
        (tmp_path / label).mkdir()
        args = ["dedupe", source, "--match", match, *extra, "--clusters", tmp_path / label / "clusters.csv", "--explain", tmp_path / label / "pairs.csv"]
        result = _run(cli, tmp_path, f"{label}/golden.csv", args, rows)
        results[label] = (_summary(result), {p.name: p.read_text() for p in (tmp_path / label).iterdir()}, result.stderr)
    (whole, whole_files, whole_stderr), (parts, part_files, stderr) = results["whole"], results["parts"]
    assert "deduplicated in" in stderr and "parts that no match crosses" in stderr
    assert "matching part 1 of" in stderr and "matching 47 rows in one piece" in whole_stderr  # -v says what it does
    too_common = [line for line in whole_stderr.splitlines() if "too common to compare" in line]
    assert too_common == [line for line in stderr.splitlines() if "too common to compare" in line]
    assert bool(too_common) == bool(extra)  # the name block of forty Person Numbers, at max-block-size 3
    for name in ("golden.csv", "clusters.csv", "pairs.csv"):
        assert part_files[name] == whole_files[name], name
    strip = lambda summary: {k: v for k, v in summary.items() if k not in ("clusters", "explain")}  # noqa: E731
    assert strip(parts) == strip(whole)
    assert whole["merged"] >= 3 and whole["shared_addresses_kept_apart"] == 1


INCOMING = (
    "email,first_name,last_name,phone,consent_status,signup_at\n"
    "PERSON5@firma.pl,Person,Number5,,unsubscribed,2025-06-01\n"  # joins a master cluster
    "person12@firma.pl,Person,Number12,,subscribed,2025-06-02\n"
    "family@home.pl,Jan,Kowalski,,subscribed,2025-06-03\n"  # joins one of the shared inbox's two clusters
    "new.one@firma.pl,New,One,+48600555555,subscribed,2025-06-04\n"
    "new.one@firma.pl,New,One,,subscribed,2025-06-05\n"  # a new cluster of two
    ",Phone,Only,+48600999999,subscribed,2025-06-06\n"
)


@pytest.mark.parametrize("match", ["exact", "fuzzy"])
def test_dedupe_against_a_streamed_master_writes_exactly_what_a_held_one_does(cli, tmp_path, match):
    source, incoming = tmp_path / "people.csv", tmp_path / "incoming.csv"
    source.write_text(PEOPLE + "broken@firma.pl,Bad,Date,,subscribed,someday,\n")  # the master keeps a signup_at_raw
    incoming.write_text(INCOMING)
    _run(cli, tmp_path, "master.parquet", ["dedupe", source, "--match", match], None)
    results = {}
    for label, rows in (("whole", None), ("chunked", 4)):
        (tmp_path / label).mkdir()
        args = ["dedupe", incoming, "--against", tmp_path / "master.parquet", "--match", match,
                "--clusters", tmp_path / label / "clusters.csv", "--explain", tmp_path / label / "pairs.csv"]
        result = _run(cli, tmp_path, f"{label}/golden.csv", args, rows)
        results[label] = (_summary(result), {p.name: p.read_text() for p in (tmp_path / label).iterdir()})
        assert "reading the master for what 6 new rows share with it" in result.stderr  # -v says what it does
    (whole, whole_files), (chunked, chunked_files) = results["whole"], results["chunked"]
    for name in ("golden.csv", "clusters.csv", "pairs.csv"):
        assert chunked_files[name] == whole_files[name], name
    strip = lambda summary: {k: v for k, v in summary.items() if k not in ("clusters", "explain")}  # noqa: E731
    assert strip(chunked) == strip(whole)
    # Fuzzy also matches the phone-only row by its phone and name; exact leaves it a new cluster.
    assert (whole["matched_existing"], whole["new_clusters"]) == ((3, 2) if match == "exact" else (4, 1))
    golden = pl.read_csv(tmp_path / "whole" / "golden.csv", infer_schema=False)
    assert golden["signup_at_raw"].drop_nulls().to_list() == ["someday"]  # the master's, though no new row needed one
    assert golden.height == whole["rows_out"] and whole["rows_in"] == whole["master_rows"] + 6


RAGGED = (
    "email,first_name,city\n"
    + "".join(f"r{i}@firma.pl,R{i},Kraków\n" for i in range(12))
    + "short@firma.pl,Short\n"  # one field missing
    + "".join(f"s{i}@firma.pl,S{i},\"Multi\nline\"\n" for i in range(6))
    + "long@firma.pl,Long,Oslo,extra,more\n"  # two fields too many
    + "nul@firma.pl,N\x00ul,Rome\n"
    + "".join(f"t{i}@firma.pl,T{i},Berlin\n" for i in range(9))
)


@pytest.mark.parametrize("mode", ["skip", "keep"])
def test_ragged_rows_in_a_large_file_are_read_carefully_only_where_they_are(cli, tmp_path, mode):
    source = tmp_path / "ragged.csv"
    source.write_text(RAGGED)
    runs = {}
    for label, rows in (("whole", None), ("chunked", 4)):
        result = _run(cli, tmp_path, f"{label}.csv", ["import", source, "--on-bad-rows", mode, "--rejects", tmp_path / f"{label}_rejects.csv"], rows)
        runs[label] = _summary(result)
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert (tmp_path / "chunked_rejects.csv").read_text() == (tmp_path / "whole_rejects.csv").read_text()
    assert runs["chunked"] == runs["whole"]
    rejects = pl.read_csv(tmp_path / "whole_rejects.csv")
    assert rejects["_source_line"].to_list() == [14, 27, 28] and rejects["_source_row"].to_list() == [13, 20, 21]
    if mode == "keep":  # each repaired row carries its reason, in every chunk, null on the others
        out = pl.read_csv(tmp_path / "whole.csv", infer_schema=False)
        assert out.filter(pl.col("_bad_row").is_not_null())["_source_row"].to_list() == ["13", "20", "21"]
        assert out["_bad_row"].drop_nulls().to_list() == ["ragged_row", "ragged_row", "nul_byte"]


def test_the_first_ragged_row_of_a_large_file_stops_the_import_with_the_same_error(cli, tmp_path):
    source = tmp_path / "ragged.csv"
    source.write_text(RAGGED)
    whole = cli(["import", source, "-o", tmp_path / "whole.csv"])
    chunked = cli(["import", source, "-o", tmp_path / "chunked.csv"], env={"LISTCLEAN_CHUNK_ROWS": "4"})
    assert whole.exit_code == chunked.exit_code == 2
    assert chunked.stderr == whole.stderr and "ragged.csv:14: row 13 has 2 fields" in whole.stderr
    assert not (tmp_path / "chunked.csv").exists()


def test_a_large_file_without_a_header_streams_from_its_first_row(cli, tmp_path):
    source = tmp_path / "bare.csv"
    source.write_text("".join(f"n{i}@firma.pl,N{i}\n" for i in range(25)))
    for label, rows in (("whole", None), ("chunked", 4)):
        _run(cli, tmp_path, f"{label}.csv", ["import", source], rows)
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert pl.read_csv(tmp_path / "whole.csv")["email"].to_list()[:2] == ["n0@firma.pl", "n1@firma.pl"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_streamed_pipeline_through_stdin_and_stdout_matches_a_whole_one(cli, tmp_path, fmt):
    outputs = {}
    for label, rows in (("whole", None), ("chunked", 4)):
        env = {"LISTCLEAN_CHUNK_ROWS": str(rows)} if rows else None
        validated = cli(["validate", "-", "-o", "-", "--format", fmt], input=MESSY, env=env)
        assert validated.exit_code == 0, validated.stderr
        deduped = cli(["dedupe", "-", "--match", "exact", "-o", "-"], input=validated.stdout_bytes, env=env)
        assert deduped.exit_code == 0, deduped.stderr
        outputs[label] = deduped.stdout_bytes
    assert outputs["chunked"] == outputs["whole"] and outputs["whole"].startswith(b"email,")


def test_a_large_file_with_a_quote_inside_a_field_streams_through_the_careful_reader(cli, tmp_path):
    source = tmp_path / "quotes.csv"
    text = RAGGED.replace("r3@firma.pl,R3,", 'r3@firma.pl,O"Brien,')  # no chunk boundary can be trusted now
    source.write_text(text)
    for label, rows in (("whole", None), ("chunked", 4)):
        _run(cli, tmp_path, f"{label}.csv", ["import", source, "--on-bad-rows", "keep", "--rejects", tmp_path / f"{label}_rejects.csv"], rows)
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert (tmp_path / "chunked_rejects.csv").read_text() == (tmp_path / "whole_rejects.csv").read_text()
    assert 'O"Brien' in pl.read_csv(tmp_path / "whole.csv")["first_name"].to_list()


def test_a_large_file_whose_every_row_is_skipped_writes_an_empty_output(cli, tmp_path):
    source = tmp_path / "all_bad.csv"
    source.write_text('email,name\n' + "".join(f'x{i}@firma.pl,O"Brien,extra\n' for i in range(12)))
    result = _run(cli, tmp_path, "out.csv", ["import", source, "--on-bad-rows", "skip", "--rejects", tmp_path / "rejects.csv"], 4)
    assert _summary(result)["rows_out"] == 0 and _summary(result)["rejected"] == 12
    assert (tmp_path / "out.csv").read_text().startswith("email,")


ENGAGED = "email,signup_at,last_click_at,last_open_at,consent_status,consent_at,consent_source,source\n" + "".join(
    f"p{i}@firma{i % 4}.pl,2025-{1 + i % 12:02d}-{1 + i % 27:02d},{'2026-%02d-10' % (1 + i % 11) if i % 3 else ''},"
    f"{'2026-11-01' if i % 5 == 0 else ''},{('subscribed', 'unsubscribed', 'bounced', 'complained', 'pending')[i % 5]},"
    f"2026-{1 + i % 11:02d}-15,{('form', 'purchase', '')[i % 3]},{('shop', 'webinar', '')[i % 3]}\n"
    for i in range(60)
) + "<ann@firma1.pl>; bob@firma2.pl,2024-02-02,,,subscribed,,,\n"  # validated on the fly: alternates in one chunk only


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_decay_report_in_chunks_measures_and_lists_exactly_what_a_whole_run_does(cli, tmp_path, suffix):
    source = tmp_path / "engaged.csv"
    source.write_text(ENGAGED)
    summaries = {}
    for label, rows in (("whole", None), ("chunked", 4)):
        args = ["decay-report", source, "--as-of", "2026-11-24", "--json", "--sunset-out", tmp_path / f"{label}.{suffix}", "--html", tmp_path / f"{label}.html"]
        result = cli(args, env={"LISTCLEAN_CHUNK_ROWS": str(rows)} if rows else None)
        assert result.exit_code == 0, result.stderr
        summaries[label] = {key: value for key, value in json.loads(result.stdout).items() if key not in ("sunset_out", "html")}
    assert summaries["chunked"] == summaries["whole"]
    assert summaries["whole"]["rows"] == 61 and summaries["whole"]["sunset"]["candidates"] > 0
    assert summaries["whole"]["status"]["unsubscribed"] == 12
    if suffix == "parquet":
        assert pl.read_parquet(tmp_path / "chunked.parquet").equals(pl.read_parquet(tmp_path / "whole.parquet"))
    else:
        assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert (tmp_path / "chunked.html").read_text() == (tmp_path / "whole.html").read_text()


BUYERS = "email,country,signup_at,last_purchase_at,purchase_count,total_spend,last_click_at,consent_status,tags\n" + "".join(
    f"b{i}@firma{i % 3}.pl,{('PL', 'US', 'DE')[i % 3]},2025-{1 + i % 12:02d}-03,{'2026-%02d-%02d' % (1 + i % 11, 1 + i % 28) if i % 4 else ''},"
    f"{i % 7 if i % 4 else ''},{(i * 37) % 500 if i % 4 else ''},{'2026-11-%02d' % (1 + i % 20) if i % 2 else ''},"
    f"{'unsubscribed' if i % 9 == 0 else 'subscribed'},{'vip' if i % 5 == 0 else ''}\n"
    for i in range(50)
)


@pytest.mark.parametrize("multi, own_parquet", [(False, False), (True, False), (False, True)], ids=["first-match", "multi", "own-parquet"])
def test_segment_in_chunks_writes_exactly_what_a_whole_run_does(cli, tmp_path, multi, own_parquet):
    source = tmp_path / "buyers.csv"
    source.write_text(BUYERS)
    if own_parquet:  # listclean's own Parquet is read twice instead of spooled
        _run(cli, tmp_path, "buyers.parquet", ["import", source], None)
        source = tmp_path / "buyers.parquet"
    rules = tmp_path / "segments.toml"
    rules.write_text(
        '[[segment]]\nname = "Poland"\nall = [ { field = "country", equals = "PL" } ]\n'
        '[[segment]]\nname = "VIP buyers"\nwhere = "total_spend > 100"\nany = [ { field = "tags", has = "vip" }, { field = "purchase_count", gte = 3 } ]\n'
    )
    summaries = {}
    for label, rows in (("whole", None), ("chunked", 4)):
        (tmp_path / label).mkdir()
        args = ["segment", source, "--rules", rules, "--rfm", "--lifecycle", "--as-of", "2026-11-24", "--split-dir", tmp_path / label, "--format", "csv", *(["--multi"] if multi else [])]
        result = _run(cli, tmp_path, f"{label}.csv", args, rows)
        summaries[label] = {key: value for key, value in _summary(result).items() if key != "split_files"}
        assert ("read again for the second pass" in result.stderr) == own_parquet
    assert summaries["chunked"] == summaries["whole"]
    assert summaries["whole"]["counts"]["segment counts"]["Poland"] > 0 and summaries["whole"]["counts"]["rfm_segment counts"]["Champions"] > 0
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    for split in ("poland.csv", "vip-buyers.csv"):
        assert (tmp_path / "chunked" / split).read_bytes() == (tmp_path / "whole" / split).read_bytes(), split


def test_a_large_chunk_judged_in_two_halves_side_by_side_gives_the_same_output(cli, tmp_path, monkeypatch):
    from listclean.email import validate as validate_module

    source = tmp_path / "messy.csv"
    source.write_text(MESSY + "<ann@firma1.pl>; bob@firma2.pl,B,,,,\n" + "".join(f"x{i}@gmial.com,X,,,,\n" for i in range(5)))
    whole = _run(cli, tmp_path, "whole.csv", ["validate", source], None)
    monkeypatch.setattr(validate_module, "_HALVES_FROM", 4)
    halves = _run(cli, tmp_path, "halves.csv", ["validate", source], None)
    assert "two halves" in halves.stderr and "two halves" not in whole.stderr
    assert (tmp_path / "halves.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    strip = lambda summary: {k: v for k, v in summary.items() if k not in ("distinct_addresses", "decided_without_email_validator")}  # noqa: E731
    assert strip(_summary(halves)) == strip(_summary(whole))
