"""Outputs that never clobber (issue #16, points 6-8 and 13): every path a command writes is
checked against its inputs and its other outputs before any work; a command's outputs are
committed as a set; split exports are all or none; files people open are formula-safe."""

from __future__ import annotations

import errno
import os
import stat
import threading
import zipfile
from pathlib import Path

import pytest

CONTACTS = (
    "email,first_name,last_name,consent_status\n"
    "ann@firma.pl,Ann,Nowak,subscribed\n"
    "ann@firma.pl,Anna,Nowak,subscribed\n"
    "bob@firma.pl,Bob,Kowalski,subscribed\n"
    "cat@firma.pl,Cat,Lis,subscribed\n"
    "dan@firma.pl,Dan,Wolf,subscribed\n"
    "eve@firma.pl,Eve,Mróz,subscribed\n"
)


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(CONTACTS)
    return path


def _fail_at_open(monkeypatch, number: int, error: BaseException) -> list[str]:
    """Make the `number`-th output opened for writing fail (a full disk, an interrupt)."""
    import listclean.io.write as write

    opened: list[str] = []
    real = write._open_target

    def failing(target, outputs=None):
        opened.append(target.path)
        if len(opened) == number:
            raise error
        return real(target, outputs) if outputs is not None else real(target)

    monkeypatch.setattr(write, "_open_target", failing)
    return opened


# ---------------------------------------------------------------- 6. checked before any work


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        (["import"], ["--report", "{input}"]),  # --report over the input
        (["dedupe"], ["--clusters", "{out}"]),  # a review file over the main output
        (["dedupe"], ["--clusters", "{side}", "--explain", "{side}"]),  # two review files on one path
        (["dedupe"], ["--explain", "{hard}"]),  # a hard link of the input
        (["import"], ["--report", "{out}"]),  # the report over the main output
    ],
)
def test_an_output_that_is_an_input_or_another_output_is_refused_before_any_work(cli, tmp_path, contacts, command, extra):
    os.link(contacts, tmp_path / "hard.csv")
    names = {"input": contacts, "out": tmp_path / "out.csv", "side": tmp_path / "side.csv", "hard": tmp_path / "hard.csv"}
    args = [*command, contacts, "-o", tmp_path / "out.csv", *[str(a).format(**names) for a in extra]]
    result = cli(args)
    assert result.exit_code == 3, result.stderr
    assert "same file" in result.stderr or "input file" in result.stderr
    assert contacts.read_text() == CONTACTS
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "side.csv").exists()


def test_split_dir_file_and_output_are_one_file_refused(cli, tmp_path, contacts):
    (tmp_path / "split").mkdir()
    result = cli(["segment", contacts, "--where", "first_name = 'Ann'", "--name", "anns", "--split-dir", tmp_path / "split", "-o", tmp_path / "split" / "anns.csv"])
    assert result.exit_code == 3, result.stderr
    assert "same file" in result.stderr


def test_export_store_cannot_be_the_output(cli, tmp_path, contacts):
    result = cli(["export", contacts, "-o", tmp_path / "out.csv", "--store", tmp_path / "out.csv"])
    assert result.exit_code == 3, result.stderr
    assert "--store" in result.stderr and not (tmp_path / "out.csv").exists()


def test_decay_html_and_sunset_out_on_one_file_are_refused(cli, tmp_path, contacts):
    result = cli(["decay-report", contacts, "--as-of", "2026-11-24", "--no-validate", "--html", tmp_path / "r.html", "--sunset-out", tmp_path / "r.html"])
    assert result.exit_code == 3, result.stderr
    assert not (tmp_path / "r.html").exists()


def test_report_never_replaces_an_existing_file_without_force(cli, tmp_path, contacts):
    report = tmp_path / "summary.json"
    report.write_text("keep me")
    result = cli(["import", contacts, "-o", tmp_path / "out.csv", "--report", report])
    assert result.exit_code == 3, result.stderr
    assert "already exists" in result.stderr
    assert report.read_text() == "keep me" and not (tmp_path / "out.csv").exists()
    assert cli(["import", contacts, "-o", tmp_path / "out.csv", "--report", report, "--force"]).exit_code == 0
    assert report.read_text().startswith("{")


def test_log_never_appends_to_an_input(cli, tmp_path, contacts):
    result = cli(["--log", contacts, "import", contacts, "-o", tmp_path / "out.csv"])
    assert result.exit_code == 3, result.stderr
    assert contacts.read_text() == CONTACTS
    log = tmp_path / "runs.log"
    assert cli(["--log", log, "import", contacts, "-o", tmp_path / "out.csv"]).exit_code == 0
    assert cli(["--log", log, "import", contacts, "-o", tmp_path / "out2.csv"]).exit_code == 0  # its own log: appended
    assert len(log.read_text().splitlines()) == 2


def test_log_never_appends_to_a_file_that_is_not_a_run_log(cli, tmp_path, contacts):
    other = tmp_path / "yesterday.csv"
    other.write_text("email\nann@firma.pl\n")
    result = cli(["--log", other, "import", contacts, "-o", tmp_path / "out.csv"])
    assert result.exit_code == 3, result.stderr
    assert "not a listclean run log" in result.stderr
    assert other.read_text() == "email\nann@firma.pl\n" and not (tmp_path / "out.csv").exists()


def test_dev_null_is_written_not_replaced(cli, contacts):
    before = os.stat(os.devnull)
    result = cli(["import", contacts, "-o", os.devnull, "--rejects", os.devnull])
    assert result.exit_code == 0, result.stderr
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_dev_stdout_is_stdout(cli, contacts):
    result = cli(["import", contacts, "-o", "/dev/stdout"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("email,") and "ann@firma.pl" in result.stdout
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_written_in_place(cli, tmp_path, contacts):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = cli(["import", contacts, "-o", fifo])
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert received and received[0].startswith(b"email,")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "pipe.csv"]  # no temporary file left


def test_run_refuses_two_steps_writing_one_file_before_the_first_step(cli, tmp_path, contacts):
    run = tmp_path / "run.toml"
    run.write_text(
        '[run]\ninputs = ["in.csv"]\nworkdir = "work"\n'
        '[[run.export]]\noutput = "out/a.csv"\n'
        '[[run.export]]\nto = "mailchimp"\noutput = "out/a.csv"\n'
    )
    (tmp_path / "out").mkdir()
    result = cli(["run", run])
    assert result.exit_code == 3, result.stderr
    assert "same file" in result.stderr
    assert not (tmp_path / "work" / "contacts.parquet").exists()


def test_run_refuses_an_export_over_its_input(cli, tmp_path, contacts):
    run = tmp_path / "run.toml"
    run.write_text('[run]\ninputs = ["in.csv"]\nworkdir = "work"\n[[run.export]]\noutput = "in.csv"\n')
    result = cli(["run", run])
    assert result.exit_code == 3, result.stderr
    assert contacts.read_text() == CONTACTS


# ---------------------------------------------------------------- 7. committed as a set


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_failing_at_the_last_output_leaves_every_previous_output(cli, tmp_path, contacts, monkeypatch, error):
    outputs = {name: tmp_path / f"{name}.csv" for name in ("out", "clusters", "explain", "rejects")}
    for name, path in outputs.items():
        path.write_text(f"old {name}")
    args = ["dedupe", contacts, "-o", outputs["out"], "--clusters", outputs["clusters"], "--explain", outputs["explain"], "--rejects", outputs["rejects"], "--force"]
    opened = _fail_at_open(monkeypatch, 4, error)
    result = cli(args)
    assert len(opened) == 4
    assert result.exit_code == (3 if isinstance(error, OSError) else 130), result.stderr
    assert {name: path.read_text() for name, path in outputs.items()} == {name: f"old {name}" for name in outputs}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.csv", *[p.name for p in outputs.values()]])  # no temporary file


def test_all_outputs_are_new_after_success(cli, tmp_path, contacts):
    outputs = {name: tmp_path / f"{name}.csv" for name in ("out", "clusters", "explain")}
    for path in outputs.values():
        path.write_text("old")
    result = cli(["dedupe", contacts, "-o", outputs["out"], "--clusters", outputs["clusters"], "--explain", outputs["explain"], "--force", "--report", tmp_path / "r.json"])
    assert result.exit_code == 0, result.stderr
    assert all(path.read_text() != "old" for path in outputs.values())
    assert (tmp_path / "r.json").exists()


def test_an_interrupt_after_the_commit_is_exit_130_not_0(cli, tmp_path, contacts, monkeypatch):
    import listclean.cli.common as common

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(common, "print_json", interrupted)  # the signal lands after the outputs were committed
    result = cli(["import", contacts, "-o", tmp_path / "out.csv", "--json"])
    assert result.exit_code == 130
    assert "interrupted after the outputs were written" in result.stderr
    assert (tmp_path / "out.csv").exists()


def test_an_interrupt_swallowed_on_the_way_is_still_exit_130_and_commits_nothing(cli, tmp_path, contacts, monkeypatch):
    import signal

    import listclean.cli.cmd_import as cmd_import

    real = cmd_import.render_step

    def swallowing(*args, **kwargs):  # code between the step and the commit that catches too much
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):
                pass
        except KeyboardInterrupt:
            pass
        return real(*args, **kwargs)

    monkeypatch.setattr(cmd_import, "render_step", swallowing)
    (tmp_path / "out.csv").write_text("old")
    result = cli(["import", contacts, "-o", tmp_path / "out.csv", "--force"])
    assert result.exit_code == 130, result.stderr
    assert (tmp_path / "out.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


# ---------------------------------------------------------------- 8. split exports: all or none


def test_a_split_export_failing_at_its_last_part_leaves_no_part(cli, tmp_path, contacts, monkeypatch):
    _fail_at_open(monkeypatch, 3, OSError(errno.ENOSPC, "No space left on device"))
    result = cli(["export", contacts, "-o", tmp_path / "out.csv", "--max-rows", "2"])
    assert result.exit_code == 3, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_smaller_split_export_removes_the_earlier_extra_parts(cli, tmp_path, contacts):
    assert cli(["export", contacts, "-o", tmp_path / "out.csv", "--max-rows", "2"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out-001.csv", "out-002.csv", "out-003.csv"]
    refused = cli(["export", contacts, "-o", tmp_path / "out.csv", "--max-rows", "3"])
    assert refused.exit_code == 3 and "pass --force" in refused.stderr
    assert cli(["export", contacts, "-o", tmp_path / "out.csv", "--max-rows", "3", "--force"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out-001.csv", "out-002.csv"]
    assert cli(["export", contacts, "-o", tmp_path / "out.csv", "--force"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_a_leak_in_any_part_removes_every_part(cli, tmp_path, monkeypatch):
    source = tmp_path / "in.csv"
    source.write_text("email,consent_status\nann@firma.pl,unsubscribed\nbob@firma.pl,subscribed\ncat@firma.pl,subscribed\nann@firma.pl,subscribed\n")
    import listclean.steps.export as export

    monkeypatch.setattr(export._Export, "cross_suppress", _no_cross)
    result = cli(["export", source, "-o", tmp_path / "out.csv", "--max-rows", "1"], env={"LISTCLEAN_CHUNK_ROWS": "1"})
    assert result.exit_code == 3, result.stderr
    assert "suppressed address" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def _no_cross(export, candidates):
    """A bug injected in pass 2: rows whose address another row suppressed are let through."""
    import polars as pl

    export.blocked = pl.concat(export.blocked_parts).unique()
    exported = export.runtime.spool()
    for part in candidates.drain():
        exported.add(part.drop("__listclean_address_key"))
    return exported


# ---------------------------------------------------------------- 13. formula injection


def test_rejects_explain_and_clusters_are_formula_safe(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = Path("=1+1.csv")  # its name is in every row's _source_file
    source.write_text('email,first_name,last_name\n"=HYPERLINK(""http://x"")",A,B\n＝cmd,C,D\n@SUM(A1),E,F\nann@firma.pl,Ann,Nowak\nann.nowak@firma.pl,Ann,Nowak\nann@firma.pl,Anna,Nowak\n')
    result = cli(["validate", source, "-o", "v.csv", "--drop", "invalid", "--rejects", "rejects.csv"])
    assert result.exit_code == 0, result.stderr
    rejects = Path("rejects.csv").read_text()
    assert "'=HYPERLINK" in rejects and "'＝cmd" in rejects and "'@SUM(A1)" in rejects and "'=1+1.csv" in rejects
    main = Path("v.csv").read_text()
    assert ",=1+1.csv," in main  # the main output is left alone without --excel-safe
    result = cli(["dedupe", "v.csv", "-o", "d.csv", "--explain", "explain.csv", "--clusters", "clusters.csv"])
    assert result.exit_code == 0, result.stderr
    for review in ("explain.csv", "clusters.csv"):
        text = Path(review).read_text()
        assert "'=1+1.csv" in text and "\n=1+1.csv" not in text and ",=1+1.csv" not in text


def test_excel_safe_guards_header_cells_and_full_width_forms(cli, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("email,=cmd|' /C calc'!A0,notes\nann@firma.pl,x,＋1+1\n")
    result = cli(["import", source, "-o", tmp_path / "out.csv", "--excel-safe"])
    assert result.exit_code == 0, result.stderr
    header, row = (tmp_path / "out.csv").read_text().splitlines()[:2]
    assert "\"'=cmd|' /C calc'!A0\"" in header or "'=cmd|' /C calc'!A0" in header
    assert "'＋1+1" in row


def test_export_excel_safe_guards_header_cells(cli, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("email,@cmd,consent_status\nann@firma.pl,=1+1,subscribed\n")
    result = cli(["export", source, "-o", tmp_path / "out.csv", "--excel-safe", "--columns", "email,@cmd"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.csv").read_text().splitlines()[:2] == ["email,'@cmd", "ann@firma.pl,'=1+1"]


def test_a_platform_file_never_alters_an_address(cli, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("email,first_name,consent_status\n-bob@firma.pl,=cmd,subscribed\n+ann@firma.pl,Ann,subscribed\n")
    result = cli(["export", source, "--to", "mailchimp", "-o", tmp_path / "out.csv", "--excel-safe"])
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "out.csv").read_text()
    assert "-bob@firma.pl" in text and "'-bob" not in text and "'+ann" not in text
    assert "'=Cmd" in text


def test_xlsx_never_holds_a_formula(cli, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text('email,=SUM(A1),notes\nann@firma.pl,=1+1,"=HYPERLINK(""http://x"")"\n')
    for safe in ([], ["--excel-safe"]):
        out = tmp_path / f"out{len(safe)}.xlsx"
        result = cli(["import", source, "-o", out, *safe])
        assert result.exit_code == 0, result.stderr
        with zipfile.ZipFile(out) as book:
            sheets = [book.read(name).decode() for name in book.namelist() if name.startswith("xl/worksheets/")]
        assert sheets and not any("<f>" in sheet or "<f " in sheet for sheet in sheets)


def test_stale_parts_are_found_by_the_parts_own_number(tmp_path):
    from listclean.steps.export import _stale_parts

    for name in ("out-001-001.csv", "out-001-002.csv", "out-001-003.csv", "out-001.csv", "other-004.csv"):
        (tmp_path / name).write_text("x")
    assert [Path(p).name for p in _stale_parts(str(tmp_path / "out-001.csv"), 2)] == ["out-001-003.csv", "out-001.csv"]
    assert [Path(p).name for p in _stale_parts(str(tmp_path / "other.csv"), 3)] == ["other-004.csv"]


@pytest.mark.parametrize("command", [["validate"], ["segment", "--lifecycle"], ["export"], ["export", "--to", "mailchimp"]])
def test_a_format_that_contradicts_the_file_name_is_an_error(cli, tmp_path, command):
    source = tmp_path / "in.csv"
    source.write_text("email,consent_status\nann@firma.pl,subscribed\n")
    extra = [] if "--to" in command else ["--format", "csv"]
    result = cli([command[0], source, *command[1:], "-o", tmp_path / "out.parquet", *extra])
    assert result.exit_code == 2 and "the file name says parquet, but the output is csv" in result.stderr
    assert not (tmp_path / "out.parquet").exists()
