"""At the terminal, on any platform (issue #21, points 7 and 8).

- `run --dry-run` prints lines a POSIX shell runs with exactly the arguments the run uses:
  pasted into bash, every hostile value arrives whole (spaces, non-ASCII, > < % * $ ` ' " ;).
- The run's lock and the suppression store's are filelock's (no fcntl, which Windows lacks):
  a second run is refused at once with exit 75, the lock goes when its holder crashes, and the
  store's writers still wait for each other.
- No module of the package uses a POSIX-only (or Windows-only) module or call unguarded.
- Paths with spaces and non-ASCII names work end to end, through the commands and through `run`.
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listclean.run import LOCK_NAME, PlannedStep, RunLocked, locked, plan, shell_lines
from listclean.store import SuppressionStore
from listclean.store import locked as store_locked

SRC = Path(__file__).parent.parent / "src" / "listclean"
BASH = shutil.which("bash") if sys.platform != "win32" else None
needs_bash = pytest.mark.skipif(BASH is None, reason="needs a POSIX shell (bash)")

# Values a person may well have in a run file or a folder name, and every character a shell
# treats specially.
HOSTILE = [
    "invalid>50%",
    "risky<1%",
    "a b  c",
    "zażółć gęślą jaźń",
    "Kontakte 2026/größe.csv",
    "*.csv",
    "[abc]?.csv",
    "~/x",
    "$HOME",
    "${PATH}",
    "$(touch pwned)",
    "`touch pwned`",
    "it's",
    'say "hi"',
    "a;b && c || d | e & f",
    "back\\slash",
    "#not-a-comment",
    "-o",
    "--force",
    "",
    "new\nline",
    "tab\there",
    "!history",
    "{a,b}",
    "日本語 データ.csv",
]


def _args_through_bash(line: str, cwd: Path, *, check: bool = True) -> list[list[str]]:
    """Every command the line runs (listclean, mv), as the argument lists the shell hands them."""
    script = (
        'listclean() { printf "%s\\0" listclean "$@"; printf "\\1"; }\n'
        'mv() { printf "%s\\0" mv "$@"; printf "\\1"; }\n'
        'mkdir() { printf "%s\\0" mkdir "$@"; printf "\\1"; }\n'
        + line + "\n"
    )  # fmt: skip
    done = subprocess.run([BASH, "--noprofile", "--norc", "-c", script], cwd=cwd, capture_output=True, check=check, env={"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent"})
    commands = done.stdout.decode("utf-8").split("\1")[:-1]
    return [command.split("\0")[:-1] for command in commands]


def _files(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("email\nann@firma.pl\n", encoding="utf-8")


# --- point 7: --dry-run lines a shell runs as the run does ------------------------------------


@needs_bash
@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_pasted_into_bash_arrives_whole(tmp_path, value):
    _files(tmp_path, ["a.csv", "b.csv", "abc.csv"])  # an unquoted glob would match these
    step = PlannedStep("validate", "validate", [str(tmp_path / "in put.csv"), value], value or None, {"fail_on": [value, "invalid>50%"], "as_of": value})
    assert _args_through_bash(step.command_line(), tmp_path) == [["listclean", *step.argv()]]
    assert shlex.split(step.command_line()) == ["listclean", *step.argv()]
    assert not (tmp_path / "pwned").exists()


@given(st.lists(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), max_size=12), min_size=1, max_size=6))
@settings(max_examples=300, deadline=None)
def test_any_arguments_split_back_exactly(values):
    step = PlannedStep("export:x", "export", values, values[0], {"columns": values, "suppress": values, "force_text": values[-1]})
    assert shlex.split(step.command_line()) == ["listclean", *step.argv()]


@needs_bash
def test_the_whole_dry_run_pasted_into_bash_runs_the_planned_commands(cli, tmp_path):
    folder = tmp_path / "Kontakte 2026" / "zażółć"
    # Literal names a shell would take for patterns or expansions: the run matched them, the line passes them as they are.
    names = ["członkowie 2026.csv", "star*.csv", "[1].csv", "$HOME.csv", "it's.csv"]
    _files(folder, names)
    (folder / "1.csv").write_text("email\nbob@firma.pl\n")  # what `[1].csv` would match, unquoted
    config = tmp_path / "Kontakte 2026" / "nocny przebieg.toml"
    config.write_text(
        '[run]\ninputs = ["zażółć/*.csv"]\nworkdir = "wynik $USER"\nstore = "tłumienie/store.tsv"\nas_of = "2026-11-24"\n'
        '[run.import]\ndefault_country = "PL"\n'
        '[run.validate]\nfail_on = ["invalid>50%", "risky<1%"]\n'
        '[[run.export]]\nto = "mailchimp"\noutput = "wysyłka/it\'s \\"mailchimp\\" > 1.csv"\n',
        encoding="utf-8",
    )  # fmt: skip
    result = cli(["run", config, "--dry-run"])
    assert result.exit_code == 0, result.stderr
    before = sorted(tmp_path.rglob("*"))
    steps, workdir = plan(str(config))
    lines = result.stdout.splitlines()
    assert lines == shell_lines(steps, workdir)
    assert [line for line in lines if line.startswith("#")] == ["# the work directory", "# import", "# validate", "# dedupe", "# export:it's \"mailchimp\" > 1.csv"]
    pasted = _args_through_bash(result.stdout, tmp_path)
    assert pasted == [["mkdir", "-p", "--", str(workdir)], *(["listclean", *step.argv()] for step in steps)]
    imported = pasted[1][2 : 2 + len(names) + 1]
    assert sorted(Path(name).name for name in imported) == sorted([*names, "1.csv"])  # the files matched, none twice, no pattern left
    assert "--fail-on" in pasted[2] and "invalid>50%" in pasted[2] and "risky<1%" in pasted[2]
    assert sorted(tmp_path.rglob("*")) == before  # no redirect made a file, no $(…) ran


@needs_bash
def test_against_the_master_the_rename_runs_only_after_dedupe_succeeded(tmp_path):
    _files(tmp_path / "in", ["a.csv"])
    config = tmp_path / "run.toml"
    config.write_text('[run]\ninputs = ["in/*.csv"]\nworkdir = "work dir"\n[run.dedupe]\nagainst = true\n')
    (tmp_path / "work dir").mkdir()
    (tmp_path / "work dir" / "golden.parquet").write_bytes(b"")  # last night's master
    steps, workdir = plan(str(config))
    dedupe = next(step for step in steps if step.name == "dedupe")
    assert dedupe.shell_line() == dedupe.command_line() + " && " + shlex.join(["mv", "-f", "--", str(workdir / "golden-next.parquet"), str(workdir / "golden.parquet")])
    assert _args_through_bash(dedupe.shell_line(), tmp_path) == [["listclean", *dedupe.argv()], ["mv", "-f", "--", str(workdir / "golden-next.parquet"), str(workdir / "golden.parquet")]]
    failing = dedupe.shell_line().replace("listclean ", "false ", 1)  # a failed dedupe: no rename
    assert _args_through_bash(failing, tmp_path, check=False) == []


def test_a_folder_named_like_a_pattern_is_taken_as_named(tmp_path):
    folder = tmp_path / "Kontakte [2026] *neu*"
    _files(folder / "zażółć", ["a.csv", "b.csv"])
    _files(tmp_path / "Kontakte 2", ["decoy.csv"])  # what the folder's name would match as a pattern
    config = folder / "run.toml"
    config.write_text('[run]\ninputs = ["zażółć/*.csv"]\n', encoding="utf-8")
    steps, _ = plan(str(config))
    assert steps[0].inputs == [str(folder / "zażółć" / "a.csv"), str(folder / "zażółć" / "b.csv")]


def test_dry_run_json_gives_each_steps_arguments_for_any_shell(cli, tmp_path):
    _files(tmp_path / "Kontakte 2026" / "zażółć", ["członkowie.csv"])
    config = tmp_path / "Kontakte 2026" / "run.toml"
    config.write_text('[run]\ninputs = ["zażółć/*.csv"]\n[run.validate]\nfail_on = ["invalid>50%"]\n', encoding="utf-8")
    result = cli(["run", config, "--dry-run", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    steps, workdir = plan(str(config))
    assert document["dry_run"] and document["workdir"] == str(workdir)
    assert [entry["argv"] for entry in document["steps"]] == [["listclean", *step.argv()] for step in steps]
    assert [shlex.split(entry["shell"]) for entry in document["steps"]] == [entry["argv"] for entry in document["steps"]]


def test_dry_run_lines_reach_a_pipe_in_a_legacy_code_page_as_utf8(tmp_path):
    _files(tmp_path / "zażółć", ["członkowie.csv"])
    config = tmp_path / "run.toml"
    config.write_text('[run]\ninputs = ["zażółć/*.csv"]\n', encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"}  # as a Windows pipe in cp1252 cannot say ż
    for extra in ([], ["--json"]):
        done = subprocess.run([sys.executable, "-m", "listclean", "run", str(config), "--dry-run", *extra], capture_output=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        assert "zażółć/członkowie.csv" in done.stdout.decode("utf-8").replace(os.sep, "/")


def test_a_json_summary_and_a_report_on_stdout_reach_a_pipe_in_a_legacy_code_page(tmp_path):
    folder = tmp_path / "zażółć"
    _files(folder, ["członkowie.csv"])
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LISTCLEAN_")}, "PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"}
    source = str(folder / "członkowie.csv")
    done = subprocess.run([sys.executable, "-m", "listclean", "import", source, "-o", str(tmp_path / "o.csv"), "--json"], capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert json.loads(done.stdout.decode("utf-8"))["inputs"][0]["file"] == source
    report = subprocess.run([sys.executable, "-m", "listclean", "decay-report", source, "--json"], capture_output=True, env=env, timeout=120)
    assert report.returncode == 0, report.stderr.decode("utf-8", "replace")
    assert "członkowie" in report.stdout.decode("utf-8")


# --- point 8: portable locks ------------------------------------------------------------------

HOLD_RUN_LOCK = """
import sys, time
from pathlib import Path
from listclean.run import locked
with locked(Path(sys.argv[1])):
    Path(sys.argv[2]).write_text("held")
    time.sleep(120)
"""

HOLD_STORE_LOCK = """
import sys, time
from pathlib import Path
from listclean.store import locked
with locked(Path(sys.argv[1])):
    Path(sys.argv[2]).write_text("held")
    while not Path(sys.argv[3]).exists():
        time.sleep(0.02)
"""


def _wait_for(path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None, "the lock holder ended early"
        assert time.monotonic() < deadline, "the lock holder never took the lock"
        time.sleep(0.02)


@pytest.fixture
def tiny_run(tmp_path):
    _files(tmp_path / "exports", ["a.csv"])
    config = tmp_path / "run.toml"
    config.write_text('[run]\ninputs = ["exports/*.csv"]\nworkdir = "clean"\n')
    return config, tmp_path / "clean"


def test_a_run_is_refused_while_another_process_holds_the_lock_and_runs_once_that_process_is_killed(cli, tmp_path, tiny_run):
    config, workdir = tiny_run
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_RUN_LOCK, str(workdir), str(ready)])
    try:
        _wait_for(ready, holder)
        if sys.platform != "win32":  # (Windows locks the byte the pid is written in)
            assert (workdir / LOCK_NAME).read_text().strip() == str(holder.pid)
        result = cli(["run", config])
        assert result.exit_code == 75
        assert result.stderr.strip().splitlines() == [f"listclean: error: {workdir}: another listclean run holds the lock (wait for it to finish; the lock is released when it ends)"]
        # Another process asking is refused the same way (at once: it never waits).
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "listclean", "run", str(config)], capture_output=True, timeout=120)
        assert done.returncode == 75 and b"another listclean run holds the lock" in done.stderr
        assert time.monotonic() - started < 60
    finally:
        holder.kill()  # a crash: no clean exit, no release by the holder
        holder.wait(timeout=60)
    with locked(workdir):  # the operating system released it
        assert (workdir / LOCK_NAME).read_text().strip() == str(os.getpid())


def test_the_run_lock_is_released_when_the_run_raises(tmp_path):
    workdir = tmp_path / "clean"
    with pytest.raises(ZeroDivisionError), locked(workdir):
        with pytest.raises(RunLocked, match="another listclean run holds the lock"), locked(workdir):
            pass
        1 / 0  # noqa: B018 - a bug in a step
    with locked(workdir):
        pass
    probe = "import sys; from pathlib import Path; from listclean.run import locked\nwith locked(Path(sys.argv[1])): print('got it')"
    assert subprocess.run([sys.executable, "-c", probe, str(workdir)], capture_output=True, text=True, timeout=120).stdout == "got it\n"


def test_a_workdir_that_is_a_file_is_still_an_output_error(tmp_path):
    from listclean.errors import OutputError

    (tmp_path / "clean").write_text("not a folder")
    with pytest.raises(OutputError, match="is a file, not a directory"), locked(tmp_path / "clean"):
        pass


@pytest.mark.parametrize("crash", [False, True], ids=["released", "holder killed"])
def test_a_store_save_waits_for_the_lock_holder(tmp_path, crash):
    store_path = tmp_path / "Kontakte 2026" / "tłumienie.tsv"
    store_path.parent.mkdir()
    ready, go = tmp_path / "ready", tmp_path / "go"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_STORE_LOCK, str(store_path), str(ready), str(go)])
    try:
        _wait_for(ready, holder)
        store = SuppressionStore.open(str(store_path))
        store.add("Ann@Firma.pl", "unsubscribed")
        saver = threading.Thread(target=store.save)
        saver.start()
        time.sleep(0.5)
        assert saver.is_alive() and not store_path.exists()  # waiting, nothing written
        if crash:
            holder.kill()
        else:
            go.write_text("go")
        saver.join(timeout=60)
        assert not saver.is_alive()
        assert "ann@firma.pl\tunsubscribed" in store_path.read_text(encoding="utf-8")
    finally:
        holder.kill()
        holder.wait(timeout=60)


def test_the_store_lock_in_a_missing_folder_is_an_output_error_and_creates_nothing(tmp_path):
    from listclean.errors import OutputError

    with pytest.raises(OutputError, match="directory does not exist"), store_locked(tmp_path / "missing" / "store.tsv"):
        pass
    assert not (tmp_path / "missing").exists()


def test_a_store_key_is_made_where_hard_links_are_not(tmp_path, monkeypatch):
    def no_links(source, target):
        raise OSError(1, "Incorrect function")  # what Windows says on FAT/exFAT

    monkeypatch.setattr(os, "link", no_links)
    store = SuppressionStore.open(str(tmp_path / "store.tsv"))
    keyed = store.keyed("jane@firma.pl")
    assert len(store.key) == 32 and (tmp_path / "store.tsv.key").read_text().strip() == store.key.hex()
    assert [path.name for path in tmp_path.iterdir()] == ["store.tsv.key"]  # the temporary is gone
    assert SuppressionStore.open(str(tmp_path / "store.tsv")).keyed("Jane@Firma.pl") == keyed


# --- the sweep: nothing platform-only unguarded -------------------------------------------------

PLATFORM_MODULES = {"fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "posix", "syslog", "crypt", "msvcrt", "winreg", "_winapi", "winsound"}
PLATFORM_CALLS = {
    "os": {"fork", "forkpty", "getuid", "geteuid", "getgid", "getegid", "setsid", "setpgrp", "getpgid", "killpg", "mkfifo", "chown", "lchown", "statvfs", "getloadavg", "sched_getaffinity", "nice", "wait3", "wait4", "sync", "rename"},
    "signal": {"SIGPIPE", "SIGALRM", "SIGHUP", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGQUIT", "SIGSTOP", "SIGCONT", "alarm", "setitimer", "pause", "siginterrupt", "pthread_kill"},
}


def _guarded(chain: list[ast.AST]) -> bool:
    """Inside `if sys.platform …`/`os.name`/`hasattr(…)`, or a try that catches ImportError or AttributeError."""
    for node in chain:
        if isinstance(node, ast.If):
            test = ast.unparse(node.test)
            if any(word in test for word in ("sys.platform", "os.name", "hasattr(", "platform.system")):
                return True
        if isinstance(node, ast.Try):
            caught = " ".join(ast.unparse(handler.type) for handler in node.handlers if handler.type is not None)
            if any(name in caught for name in ("ImportError", "ModuleNotFoundError", "AttributeError")):
                return True
    return False


def _platform_only_uses(path: Path, root: Path = SRC.parent) -> list[str]:
    found: list[str] = []

    def visit(node: ast.AST, chain: list[ast.AST]) -> None:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name.split(".")[0] for alias in node.names if alias.name.split(".")[0] in PLATFORM_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in PLATFORM_MODULES:
            names = [node.module or ""]
        elif isinstance(node, ast.ImportFrom) and node.module in PLATFORM_CALLS:
            names = [f"{node.module}.{alias.name}" for alias in node.names if alias.name in PLATFORM_CALLS[node.module]]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr in PLATFORM_CALLS.get(node.value.id, ()):
            names = [f"{node.value.id}.{node.attr}"]
        if names and not _guarded(chain):
            found.extend(f"{path.relative_to(root)}:{node.lineno}: {name}" for name in names)
        for child in ast.iter_child_nodes(node):
            visit(child, [*chain, node])

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), [])
    return found


def test_no_module_uses_a_platform_only_module_or_call_unguarded():
    uses = [use for path in sorted(SRC.rglob("*.py")) for use in _platform_only_uses(path)]
    assert uses == [], "POSIX- or Windows-only, unguarded (guard with sys.platform/hasattr or use a portable call; os.replace, not os.rename):\n" + "\n".join(uses)


def test_the_scan_sees_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os, signal, sys\nimport fcntl\nfrom resource import getrusage\nos.rename('a', 'b')\nsignal.signal(signal.SIGPIPE, None)\n"
        "if sys.platform != 'win32':\n    import termios\ntry:\n    import msvcrt\nexcept ImportError:\n    msvcrt = None\n"
        "if hasattr(signal, 'SIGALRM'):\n    signal.alarm(1)\n"
    )  # fmt: skip
    assert [use.split(": ")[1] for use in _platform_only_uses(sample, tmp_path)] == ["fcntl", "resource", "os.rename", "signal.SIGPIPE"]


# --- paths with spaces and non-ASCII names, end to end ------------------------------------------


def test_spaces_and_non_ascii_names_through_the_commands_and_run(cli, tmp_path):
    home = tmp_path / "Kontakte 2026" / "zażółć"
    home.mkdir(parents=True)
    (home / "członkowie 2026.csv").write_text("email,first_name,consent_status\nAnn@Firma.pl,Ann,subscribed\nbad-address,Bob,subscribed\nżaneta@firma.pl,Żaneta,unsubscribed\n", encoding="utf-8")
    (home / "Kunden größe ß.csv").write_text("E-Mail;Vorname;consent_status\ncy@beispiel.de;Cy;subscribed\nann@firma.pl;Ann;subscribed\n", encoding="utf-8")
    imported, validated, exported = home / "wynik importu.parquet", home / "sprawdzone ü.parquet", home / "wysyłka" / "mailchimp 日本.csv"
    exported.parent.mkdir()
    result = cli(["import", home / "członkowie 2026.csv", home / "Kunden größe ß.csv", "-o", imported, "--rejects", home / "odrzucone é.csv"])
    assert result.exit_code == 0, result.stderr
    result = cli(["validate", imported, "-o", validated, "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows_in"] == 5
    result = cli(["export", validated, "--to", "mailchimp", "-o", exported, "--store", home / "tłumienie ą.tsv"])
    assert result.exit_code == 0, result.stderr
    assert "cy@beispiel.de" in exported.read_text(encoding="utf-8")

    config = tmp_path / "Kontakte 2026" / "nocny przebieg.toml"
    config.write_text(
        '[run]\ninputs = ["zażółć/*.csv"]\nworkdir = "zażółć/wynik prac"\nstore = "zażółć/tłumienie ą.tsv"\nas_of = "2026-11-24"\n'
        '[run.validate]\nfail_on = ["invalid>90%"]\n'
        '[[run.export]]\nto = "mailchimp"\noutput = "zażółć/wysyłka/z przebiegu ż.csv"\n',
        encoding="utf-8",
    )  # fmt: skip
    result = cli(["run", config, "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ok"] and summary["steps"][0]["summary"]["rows_in"] == 5
    from_run = home / "wysyłka" / "z przebiegu ż.csv"
    assert "cy@beispiel.de" in from_run.read_text(encoding="utf-8") and "żaneta" not in from_run.read_text(encoding="utf-8")
    assert (home / "wynik prac" / LOCK_NAME).exists() and (home / "wynik prac" / "golden.parquet").exists()


def test_a_folder_with_brackets_through_the_commands(cli, tmp_path):
    home = tmp_path / "Kontakte [2026]"
    home.mkdir()
    (home / "a.csv").write_text("email\nann@firma.pl\n")
    result = cli(["import", home / "a.csv", "-o", home / "out.parquet"])
    assert result.exit_code == 0, result.stderr
    result = cli(["validate", home / "out.parquet", "-o", home / "checked.csv"])
    assert result.exit_code == 0, result.stderr
