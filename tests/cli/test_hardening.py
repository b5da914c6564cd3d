"""Every command against hostile input: random bytes, encodings, ragged rows, odd column names.

Whatever comes in, a command ends with a documented exit code, one error line and no
traceback, and when it succeeds every input row is accounted for (in = out + rejected + merged).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st


@pytest.fixture(autouse=True)
def _spill_early(monkeypatch):
    """Spools hold a few kilobytes here, not the default 256 MB: chunks of a few rows are
    then held, spilled to Parquet and read back, as a large list's are."""
    monkeypatch.setattr("listclean.stream.budget.DEFAULT_SPOOL_BYTES", 2_000)

DOCUMENTED = {0, 1, 2, 3}
COMMANDS = {
    "import": [],
    "validate": [],
    "dedupe": [],
    "segment": ["--lifecycle", "--as-of", "2026-11-24"],
    "export": [],
    "decay-report": ["--as-of", "2026-11-24", "--no-validate"],
}

CELLS = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["ann@firma.pl", "ANN@FIRMA.PL", "bob@gmial.com", "n/a", "", "=1+1", "+48600100200", "2024-13-45", "unsubscribed", '"', "a,b"]),
)
HEADERS = st.one_of(st.sampled_from(["email", "E-Mail", "first_name", "Phone", "Status", "signup_at", "tags", "source", "", "email"]), st.text(max_size=8))


@st.composite
def hostile_files(draw) -> bytes:
    kind = draw(st.sampled_from(["bytes", "csv", "ragged", "encoded", "shaped"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    headers = draw(st.lists(HEADERS, min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(CELLS, min_size=1, max_size=len(headers) + (2 if kind == "ragged" else 0)), max_size=8))
    if kind != "ragged":
        rows = [(row + [""] * len(headers))[: len(headers)] for row in rows]
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    quote = lambda cell: '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in (delimiter, '"', "\n")) else cell  # noqa: E731
    text = "\n".join(delimiter.join(quote(cell) for cell in line) for line in [headers, *rows]) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])) if kind == "encoded" else "utf-8"
    data = text.encode(encoding, errors="replace")
    if kind == "shaped":  # how the peers' test corpora shape files (issue #16)
        data = draw(st.sampled_from(SHAPES))(data)
    return data


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, mtime=0)


SHAPES = [
    lambda data: b"\n \n" + data,  # blank lines before the header
    lambda data: b"Notes:\n\"a preamble, with a comma\"\n\n" + data,  # a preamble (LinkedIn)
    lambda data: data.replace(b"\n", b"\r", 2),  # lone CR line ends mixed with LF
    lambda data: data.rstrip(b"\n") + b',"cut',  # an unclosed quote at the end of the file
    lambda data: data.replace(b"\n", b"\n\t \n", 1),  # a row of blank space
    lambda data: data.replace(b"a", b"a\xff", 1),  # a byte that is not UTF-8
    lambda data: data.replace(b"\n", b"\n\xef\xbb\xbf", 2),  # U+FEFF opening a row
    lambda data: data.replace(b",", b"\x0b,", 1),  # a vertical tab in the header
    _gzip,  # compressed
]


@pytest.mark.parametrize("command", list(COMMANDS))
@settings(max_examples=int(os.environ.get("HARDENING_EXAMPLES", "12")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=hostile_files(), chunk_rows=st.sampled_from([None, 2, 3]))  # whole, and streamed in tiny chunks
@example(content=b'email\temail\temail\n\t"\t|"\n0\n', chunk_rows=None)  # a quote inside a field hid a separator: crashed import
@example(content=b'h\na,b\n"0"""\n"00"""\n', chunk_rows=2)  # a long first data row broke the first look at a streamed file
@example(content=b"\nEmail,First Name\nann@firma.pl,Ann\n", chunk_rows=None)  # the header row was read as data
@example(content=b"Email\rann@firma.pl\rbob@firma.pl\n", chunk_rows=2)  # 0 rows at exit 0
@example(content=b'email,notes\nann@firma.pl,ok\nbob@firma.pl,"truncat', chunk_rows=None)  # accepted silently
@example(content=b'email,notes\nann@firma.pl,"a \\"b,c\\" d"\n', chunk_rows=None)  # a backslash-escaped quote
@example(content=b"Do Not Email,name\nann@firma.pl,Ann\n", chunk_rows=None)  # exit 70
@example(content=b"email,name\nann@firma.pl,Ann\n   \n", chunk_rows=None)  # an empty contact
def test_no_traceback_a_documented_exit_code_and_every_row_accounted_for(cli, tmp_path, command, content, chunk_rows):
    source = tmp_path / "input.csv"
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    if out.exists():
        out.unlink()
    args = [command, source, *COMMANDS[command], "--json"]
    if command != "decay-report":
        args += ["-o", out, "--force"]
    result = cli(args, env={"LISTCLEAN_CHUNK_ROWS": str(chunk_rows)} if chunk_rows else None)
    assert result.exit_code in DOCUMENTED, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code >= 2:
        assert result.stderr.strip().startswith("listclean: error:") and result.stderr.count("\n") <= 2
        assert not out.exists() or command == "decay-report"
    elif command != "decay-report":
        summary = json.loads(result.stdout)
        assert summary["rows_in"] == summary["rows_out"] + summary.get("rejected", 0) + summary.get("merged", 0)


@pytest.mark.parametrize("command", ["import", "validate", "export", "dedupe"])
def test_a_closed_stdout_ends_quietly_with_141(tmp_path, command):
    rows = "email,first_name\n" + "".join(f"user{i}@firma{i % 7}.pl,Name{i}\n" for i in range(60_000))
    (tmp_path / "big.csv").write_text(rows)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LISTCLEAN_")}
    pipeline = subprocess.run(
        f"{sys.executable} -m listclean {command} big.csv -o - | head -n 1; exit ${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=180,
    )
    assert pipeline.returncode == 141, pipeline.stderr
    assert pipeline.stdout.startswith("email,")
    assert "Traceback" not in pipeline.stderr and "error" not in pipeline.stderr


def test_sigterm_mid_run_leaves_no_output_behind(tmp_path):
    rows = "email,first_name,phone,signup_at\n" + "".join(f"user{i}@firma.pl,Name{i},+4860{i % 10_000_000:07d},2024-01-{1 + i % 28:02d}\n" for i in range(400_000))
    (tmp_path / "big.csv").write_text(rows)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LISTCLEAN_")}
    environment["LISTCLEAN_CHUNK_ROWS"] = "50000"  # streamed: the signal lands between chunks or inside one
    environment["TMPDIR"] = str(tmp_path / "work")  # where the spooled chunks go: must be cleaned up too
    (tmp_path / "work").mkdir()
    process = subprocess.Popen([sys.executable, "-m", "listclean", "-v", "validate", "big.csv", "-o", "out.parquet"], cwd=tmp_path, env=environment, stderr=subprocess.PIPE, text=True)
    # Mid-run for sure: the first of eight chunks is being validated (-v says so on stderr).
    said = []
    for line in process.stderr:
        said.append(line)
        if "checking syntax" in line:
            break
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    stderr = "".join(said) + stderr
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", "work"]  # no output, no temp part
    assert list((tmp_path / "work").iterdir()) == []  # no spooled chunk left behind


# Outputs committed as a set (issue #16 point 7-8): whatever output a run fails at — out of disk
# space or interrupted — every output of the run before stays as it was, byte for byte, and no
# temporary file is left; the next run writes them all.
OUTPUT_SETS = {
    "dedupe": ["-o", "out.csv", "--clusters", "clusters.csv", "--explain", "explain.csv", "--rejects", "rejects.csv"],
    "export": ["-o", "out.csv", "--max-rows", "2", "--rejects", "rejects.csv"],
    "segment": ["-o", "out.csv", "--where", "country = 'PL'", "--name", "pl", "--split-dir", "split", "--rejects", "rejects.csv"],
    "decay-report": ["--as-of", "2026-11-24", "--no-validate", "--html", "report.html", "--sunset-out", "sunset.csv", "--report", "summary.json"],
}
PEOPLE = st.lists(st.tuples(st.sampled_from(["ann", "bob", "cat", "dan", "=cmd", "eve"]), st.sampled_from(["PL", "DE", "+1"]), st.sampled_from(["subscribed", "unsubscribed", ""])), min_size=1, max_size=7)


def _files(root) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file() and path.name != "in.csv"}


@pytest.mark.parametrize("command", list(OUTPUT_SETS))
@settings(max_examples=int(os.environ.get("HARDENING_EXAMPLES", "12")) // 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=PEOPLE, second=PEOPLE, fail_at=st.integers(1, 6), interrupt=st.booleans())
def test_a_failure_at_any_output_leaves_every_previous_output(cli, tmp_path_factory, monkeypatch, command, first, second, fail_at, interrupt):
    import errno

    import listclean.io.write as write

    root = tmp_path_factory.mktemp(command)
    (root / "split").mkdir()
    source = root / "in.csv"

    def rows(people) -> str:
        return "email,first_name,country,consent_status\n" + "".join(f"{name}@firma.pl,{name},{country},{status}\n" for name, country, status in people)

    args = [command, source, *[str(root / a) if a.endswith((".csv", ".html", ".json")) or a == "split" else a for a in OUTPUT_SETS[command]], "--force"]
    source.write_text(rows(first))
    assert cli(args).exit_code == 0
    before = _files(root)
    source.write_text(rows(second))
    opened: list[str] = []
    real = write._open_target

    def failing(target, outputs=None):
        opened.append(target.path)
        if len(opened) == fail_at:
            raise KeyboardInterrupt if interrupt else OSError(errno.ENOSPC, "No space left on device")
        return real(target, outputs)

    with monkeypatch.context() as patch:
        patch.setattr(write, "_open_target", failing)
        result = cli(args)
    if len(opened) >= fail_at:  # the run reached the output it fails at
        assert result.exit_code == (130 if interrupt else 3), result.stderr
        assert _files(root) == before  # every previous output, byte for byte; no temporary file
    else:
        assert result.exit_code == 0, result.stderr
    assert cli(args).exit_code == 0
    assert not any(name.endswith(".part") or "/." in name for name in _files(root))


@given(st.text(max_size=12))
def test_excel_safe_is_recoverable_and_leaves_no_cell_a_spreadsheet_would_run(text):
    import polars as pl

    from listclean.io.write import excel_safe, risky_cell

    guarded = excel_safe(pl.DataFrame({"v": [text]}, schema={"v": pl.String}))["v"][0]
    assert guarded in (text, "'" + text)
    assert (guarded != text) == risky_cell(text)
    assert not risky_cell(guarded)


@settings(max_examples=int(os.environ.get("HARDENING_EXAMPLES", "12")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=hostile_files(), chunk_rows=st.sampled_from([1, 2, 3]))
@example(content=b"email,name\n" + b"".join((b"\xef\xbb\xbf" if i == 3 else b"") + f"u{i}@firma.pl,name{i:04d}\n".encode() for i in range(8)), chunk_rows=1)
@example(content=b'email,note\n,,x\n,"N\rc\nd"\n,,\n', chunk_rows=1)  # a CR inside quotes counted as a line by the careful reader only
def test_a_chunked_import_is_byte_identical_to_a_whole_file_import(cli, tmp_path, content, chunk_rows):
    """As the README promises: however small the chunks, the same outputs and the same exit."""
    source = tmp_path / "input.csv"
    source.write_bytes(content)
    outputs = {}
    for label, env in (("whole", None), ("chunked", {"LISTCLEAN_CHUNK_ROWS": str(chunk_rows)})):
        out, rejects = tmp_path / f"{label}.csv", tmp_path / f"{label}-rejects.csv"
        for path in (out, rejects):
            if path.exists():
                path.unlink()
        result = cli(["import", source, "--on-bad-rows", "skip", "--rejects", rejects, "-o", out], env=env)
        outputs[label] = (result.exit_code, out.read_bytes() if out.exists() else None, rejects.read_bytes() if rejects.exists() else None)
    assert outputs["chunked"] == outputs["whole"]
