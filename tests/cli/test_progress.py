"""Progress a person can read: counts, rate and time left on a terminal; nothing on a pipe or
with -q; no ANSI escape at all with NO_COLOR; a summary line per phase with -v."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import pytest

from listclean.cli.progress import Counts, PlainLine, duration

ROWS = 6_000


def _big_csv(tmp_path):
    path = tmp_path / "big.csv"
    lines = ["email,first_name"] + [f"person{n}@example.com,Name{n}" for n in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _environment(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTCLEAN_") and k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"LISTCLEAN_CHUNK_ROWS": "1000", "COLUMNS": "200", "TERM": "xterm-256color"}, **extra)
    return env


def _on_a_terminal(args, cwd, env):
    """Run listclean with its stderr on a pseudo-terminal; what the terminal received."""
    pty = pytest.importorskip("pty")
    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "listclean", *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=secondary, stdin=subprocess.DEVNULL)
    os.close(secondary)
    received = b""
    with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
        while True:
            data = os.read(primary, 65536)
            if not data:
                break
            received += data
    os.close(primary)
    assert process.wait(timeout=120) == 0, received.decode(errors="replace")
    return received.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_terminal_sees_rows_done_of_the_total_and_no_escape_with_no_color(tmp_path):
    source = _big_csv(tmp_path)
    seen = _on_a_terminal(["import", str(source), "-o", str(tmp_path / "out.parquet")], tmp_path, _environment(NO_COLOR="1"))
    assert "\x1b" not in seen  # not even bold or cursor movement
    lines = [line for line in seen.replace("\r", "\n").splitlines() if "Importing" in line]
    assert any(f"/ {ROWS:,} rows" in line and "%" in line for line in lines), lines  # a CSV's total is estimated from its size
    assert seen.replace("\r", "\n").splitlines()[-1].strip() == "" or "Importing" not in seen.splitlines()[-1]  # transient: cleared at the end


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_coloured_terminal_sees_the_counts_and_quiet_sees_nothing(tmp_path):
    source = _big_csv(tmp_path)
    seen = _on_a_terminal(["import", str(source), "-o", str(tmp_path / "out.parquet")], tmp_path, _environment())
    assert "rows/s" in seen or f"{ROWS:,}" in seen
    quiet = _on_a_terminal(["-q", "import", str(source), "-o", str(tmp_path / "out2.parquet")], tmp_path, _environment())
    assert quiet.strip() == ""


def test_a_pipe_gets_no_progress_and_verbose_gets_a_summary_line_per_phase(tmp_path):
    source = _big_csv(tmp_path)
    env = _environment()
    plain = subprocess.run([sys.executable, "-m", "listclean", "import", str(source), "-o", str(tmp_path / "o.parquet")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0 and "rows/s" not in plain.stderr and "\r" not in plain.stderr
    verbose = subprocess.run(
        [sys.executable, "-m", "listclean", "-v", "validate", str(tmp_path / "o.parquet"), "-o", str(tmp_path / "v.parquet")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verbose.returncode == 0, verbose.stderr
    assert f"Validating: {ROWS:,} rows in " in verbose.stderr and "rows/s" not in verbose.stderr.split("Validating:")[0]


def test_the_line_says_how_far_how_fast_and_how_long_still(monkeypatch):
    monkeypatch.setattr("listclean.cli.progress.time.monotonic", lambda: 1_000.0)
    counts = Counts("Validating", done=250_000, total=1_000_000, started=990.0)
    line = counts.line()
    assert line.startswith("Validating · 250,000 / 1,000,000 rows (25%) · 25,000 rows/s · 30.0 s left")
    counts.done = 1_000_400  # past an estimated total: the count alone, no false 100 %
    assert "/ 1,000,000" not in counts.line() and "left" not in counts.line()
    assert counts.summary().startswith("Validating: 1,000,400 rows in 10.0 s (100,040 rows/s)")
    parts = Counts("Deduplicating", message="matching part 3 of 40", done=2, total=40, unit="parts")
    assert parts.line().startswith("Deduplicating: matching part 3 of 40 · 2 / 40 parts (5%)")
    assert (duration(4.25), duration(245), duration(3725)) == ("4.2 s", "4 min 05 s", "1 h 02 min")


def test_the_plain_line_redraws_in_place_and_clears_itself():
    import io

    stream = io.StringIO()
    line = PlainLine(stream)
    line.draw("Importing · 1,000 rows", force=True)
    line.draw("Importing · 2,000 rows", force=True)
    line.clear()
    written = stream.getvalue()
    assert "\x1b" not in written and written.endswith("\r")
    assert written.count("\r") == 4 and "2,000" in written


def test_the_import_step_reports_rows_done_of_the_estimate(tmp_path):
    from contextlib import contextmanager

    from listclean.importer import ImportOptions
    from listclean.runtime import Runtime
    from listclean.steps.importing import ImportStepOptions, import_step
    from listclean.stream.sink import FrameSink

    calls = []

    class Recorder:
        def info(self, message):
            pass

        detail = warn = info

        @contextmanager
        def phase(self, doing):
            yield lambda message="", **counts: calls.append((doing, counts))

    source = _big_csv(tmp_path)
    with Runtime(chunk_rows=1000, reporter=Recorder()) as runtime:
        stream = runtime.open_inputs([str(source)], ImportOptions())
        import_step(stream, ImportStepOptions(), FrameSink(), runtime)
    counted = [counts for doing, counts in calls if doing == "Importing" and "done" in counts]
    done = [counts["done"] for counts in counted]
    assert len(done) >= 5 and done == sorted(done)  # a count per chunk of about 1,000 rows
    assert done[-1] == ROWS and counted[-1]["total"] == ROWS
