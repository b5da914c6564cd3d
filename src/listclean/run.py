"""The nightly pipeline from one declarative file, composed of the library steps in one process.

    [run]
    inputs = ["exports/*.csv", "exports/*.xlsx"]
    workdir = "clean"                      # intermediate and final files
    store = "suppression/store.tsv"        # optional: import, validate and export use it
    suppress = ["suppression/*.txt"]       # optional: validate and export use them
    as_of = "2026-11-24"                   # optional: the date of segment, export and decay-report

    [run.import]                           # any import option, named like the flag
    default_country = "PL"

    [run.validate]
    fail_on = ["invalid>5%"]

    [run.dedupe]                           # "against" = true dedupes against workdir/golden.parquet
    match = "fuzzy"

    [run.segment]
    rules = "segments.toml"

    [[run.export]]
    to = "mailchimp"
    output = "outbox/mailchimp.csv"

    [run.decay-report]
    html = "reports/decay.html"

Each step is the library step of the command of the same name, run on the previous step's
Parquet output: import -> validate -> dedupe -> segment (if configured) -> exports and the
decay report. Options are named like the command's flags and go through the same option
builders the command line uses, so a bad value is the same error. The run stops at the first
step that fails or crosses a --fail-on threshold, with that step's exit code. A lock file in
the work directory keeps two runs (two cron entries, a slow night) from writing the same
outputs. Re-running on the same inputs writes the same files (outputs are replaced
atomically; give `as_of` for date-dependent steps).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shlex
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from listclean.errors import ConfigError, ExitCode, ListcleanError, OutputError

STEP_ORDER = ("import", "validate", "dedupe", "segment")
ENGINES = ("local", "spark")  # where `listclean run` runs the steps: this process, or a Spark session
RESERVED = {"output", "o", "force", "report", "json", "format", "f"}  # the run decides where each step writes
# Options that name files: relative to the run file, as `inputs` are.
_PATHS = ("rejects", "clusters", "explain", "review", "labels", "model", "save_model", "split_dir", "store", "rules", "html", "sunset_out", "against")
_FLAG_NAMES = {"map": "--map"}
_NEGATABLE = {"header": "--no-header"}  # a false value that is not the default has a flag of its own
_JOINED = {"columns": ","}  # list options the command takes as one value


class RunLocked(ListcleanError):
    exit_code = ExitCode.LOCKED


@dataclass
class PlannedStep:
    """One step of the run: the command it is, its input and output files, its options."""

    name: str  # "import", "validate", …, "export:mailchimp.csv", "decay-report"
    command: str
    inputs: list[str]
    output: str | None
    options: dict[str, Any]  # named like the command's flags (underscored), paths resolved
    replaces: str | None = None  # after success, the output is renamed to this path (dedupe --against)

    def argv(self) -> list[str]:
        """The same step as a command line (for --dry-run and logs): the arguments after
        `listclean`, each one exactly as the command receives it. Inputs are the files the run
        file's globs matched when the run was planned (a file named `a[1].csv` stays that name,
        never a pattern again)."""
        args = [self.command, *self.inputs]
        if self.output is not None:
            args += ["-o", self.output]
        return args + _arguments(self.options)

    def command_line(self) -> str:
        """The command as one line for a POSIX shell (sh, bash, zsh; Git Bash or WSL on Windows):
        every argument quoted (shlex.join), so spaces, non-ASCII names, `>`, `%`, `*`, `$` and
        quotes arrive as they are; `shlex.split` gives back exactly `["listclean", *argv()]`."""
        return shlex.join(["listclean", *self.argv()])

    def shell_line(self) -> str:
        """What the run does for this step, as one POSIX shell line: the command, and for a dedupe
        against the master the rename that makes its output the master, only if it succeeded."""
        line = self.command_line()
        if self.replaces is not None and self.output is not None:
            line += " && " + shlex.join(["mv", "-f", "--", self.output, self.replaces])
        return line


def shell_lines(steps: list[PlannedStep], workdir: Path) -> list[str]:
    """The run as lines for a POSIX shell (--dry-run): the work directory made, then for each step
    a `# step` comment and its line (PlannedStep.shell_line). Each line can be pasted on its own;
    unlike the run, a script of them goes on after a failing step unless it starts with `set -e`."""
    lines = ["# the work directory", shlex.join(["mkdir", "-p", "--", str(workdir)])]
    for step in steps:
        lines += ["# " + "".join(c if c.isprintable() else "?" for c in step.name), step.shell_line()]
    return lines


@dataclass
class StepResult:
    step: str
    exit_code: int
    seconds: float
    summary: dict[str, Any] | None
    report: Any = None
    error: BaseException | None = None  # a listclean error, or a bug (exit 70)


@dataclass
class RunReport:
    config: str
    steps: list[StepResult] = field(default_factory=list)
    exit_code: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def summary(self) -> dict[str, Any]:
        return {
            "command": "run",
            "config": self.config,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "seconds": self.seconds,
            "steps": [{"step": s.step, "exit_code": s.exit_code, "seconds": s.seconds, "summary": s.summary} for s in self.steps],
        }


def _flag(name: str) -> str:
    return _FLAG_NAMES.get(name, "--" + name.replace("_", "-"))


def _arguments(options: dict[str, Any]) -> list[str]:
    """Options -> command-line flags: true -> --flag, false -> omitted, lists repeat the flag."""
    args: list[str] = []
    for name, value in options.items():
        flag = _flag(name)
        if isinstance(value, bool):
            if value:
                args.append(flag)
            elif name in _NEGATABLE:
                args.append(_NEGATABLE[name])
        elif isinstance(value, list) and name in _JOINED:
            args += [flag, _JOINED[name].join(str(item) for item in value)]
        elif isinstance(value, list):
            for item in value:
                args += [flag, str(item)]
        elif value is not None:
            args += [flag, str(value)]
    return args


def _checked(options: dict[str, Any], where: str) -> dict[str, Any]:
    """A run file's table of options: no output of its own, only plain values."""
    for name, value in options.items():
        if name in RESERVED:
            raise ConfigError(f"{where}: {name!r} is set by the run itself", hint="only [[run.export]] takes an output")
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, (bool, str, int, float)) for item in values):
            raise ConfigError(f"{where}: option {name!r} has an unsupported value {value!r}")
    return {name.replace("-", "_"): value for name, value in options.items()}


def _expand(patterns: list[str], base: Path, where: str) -> list[str]:
    """The files each pattern matches, relative to the run file's folder: only the pattern is a
    glob, so a folder named `Kontakte [2026]` or `*new*` is taken as it is named."""
    files: list[str] = []
    for pattern in patterns:
        anchored = pattern if Path(pattern).is_absolute() else os.path.join(glob.escape(str(base)), pattern)
        found = sorted(glob.glob(anchored))
        if not found:
            raise ConfigError(f"{where}: {pattern!r} matches no file", hint="check the path, relative to the run file")
        files += found
    return files


def plan(path: str) -> tuple[list[PlannedStep], Path]:
    """The steps the run file asks for, in order, and the work directory."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such run file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read as TOML ({error})") from None
    run = data.get("run")
    if not isinstance(run, dict):
        raise ConfigError(f"{path}: no [run] table", hint="see `listclean run --help`")
    base = Path(path).resolve().parent
    known = {"inputs", "workdir", "store", "suppress", "as_of", "export", "decay-report", "decay_report", *STEP_ORDER}
    unknown = set(run) - known
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in [run]: {', '.join(sorted(unknown))}")
    inputs = run.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(item, str) for item in inputs):
        raise ConfigError(f"{path}: [run] needs inputs = [\"file or glob\", ...]")
    for key in ("workdir", "store", "as_of"):
        if key in run and not isinstance(run[key], (str, date) if key == "as_of" else str):
            raise ConfigError(f"{path}: [run] {key} must be {'a date' if key == 'as_of' else 'a path in quotes'}, not {run[key]!r}")
    listed_in_run = run.get("suppress", [])
    if isinstance(listed_in_run, str):
        listed_in_run = [listed_in_run]
    if not isinstance(listed_in_run, list) or not all(isinstance(item, str) for item in listed_in_run):
        raise ConfigError(f"{path}: [run] suppress must be a list of files or globs, not {run['suppress']!r}")
    exports_given = run.get("export", [])
    if not isinstance(exports_given, dict) and not (isinstance(exports_given, list) and all(isinstance(item, dict) for item in exports_given)):
        raise ConfigError(f"{path}: [run] export must be [[run.export]] tables, not {exports_given!r}", hint="write [[run.export]] with to = … and output = …")
    workdir = base / str(run.get("workdir", "listclean-run"))
    files = _expand([str(item) for item in inputs], base, f"{path}: inputs")
    store = {"store": str(base / run["store"])} if run.get("store") else {}
    suppress = _expand(listed_in_run, base, f"{path}: suppress")
    listed = {"suppress": suppress} if suppress else {}
    as_of = {"as_of": str(run["as_of"])} if run.get("as_of") else {}

    def table(name: str, value: Any = None) -> dict[str, Any]:
        value = run.get(name, {}) if value is None else value
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: [run.{name}] must be a table")
        options = _checked(dict(value), f"{path}: [run.{name}]")
        for key in _PATHS:  # relative to the run file, like inputs
            if isinstance(options.get(key), str):
                options[key] = str(base / options[key])
        if "suppress" in options:  # a step's own lists are added to the run's, never instead of them
            own = options.pop("suppress")
            listed_here = _expand([str(p) for p in (own if isinstance(own, list) else [own])], base, f"{path}: [run.{name}] suppress")
            options["suppress"] = [*suppress, *listed_here]
        return options

    contacts, validated, golden = workdir / "contacts.parquet", workdir / "validated.parquet", workdir / "golden.parquet"
    steps = [
        PlannedStep("import", "import", files, str(contacts), {"rejects": str(workdir / "rejects.csv"), **store, **table("import")}),
        PlannedStep("validate", "validate", [str(contacts)], str(validated), {**store, **listed, **table("validate")}),
    ]
    dedupe = table("dedupe")
    against = dedupe.pop("against", False)
    master = str(golden) if against is True and golden.exists() else (str(base / against) if isinstance(against, str) else None)
    # Against last night's master, the updated master is written beside it and then replaces it
    # (after the step succeeded), so a failed run never leaves a half-updated master.
    deduped = workdir / "golden-next.parquet" if master else golden
    # A nightly run against its master learns the fuzzy weights once, the first night, and scores
    # every later night with them (dedupe --save-model / --model): consistent and cheaper. Delete
    # the work directory's model.json to have them learned again.
    weights = workdir / "model.json"
    learned: dict[str, str] = {}
    if against and dedupe.get("match", "fuzzy") == "fuzzy" and not {"model", "save_model"} & set(dedupe):
        learned = {"model": str(weights)} if master and weights.exists() else {"save_model": str(weights)}
    options = {**({"against": master} if master else {}), "explain": str(workdir / "merges.csv"), **learned, **dedupe}
    steps.append(PlannedStep("dedupe", "dedupe", [str(validated)], str(deduped), options, replaces=str(golden) if master else None))
    final = golden
    if "segment" in run:
        segmented = workdir / "segmented.parquet"
        # Its split files are mailing lists: the run's store and lists keep suppressed people out of them.
        steps.append(PlannedStep("segment", "segment", [str(golden)], str(segmented), {**store, **listed, **as_of, **table("segment")}))
        final = segmented
    exports = run.get("export", [])
    for number, options in enumerate([exports] if isinstance(exports, dict) else exports, start=1):
        if not isinstance(options, dict) or "output" not in options:
            raise ConfigError(f"{path}: [[run.export]] #{number} needs output = \"path\"")
        output = str(base / str(options["output"]))
        options = table("export", value={k: v for k, v in options.items() if k != "output"})
        steps.append(PlannedStep(f"export:{Path(output).name}", "export", [str(final)], output, {**store, **listed, **as_of, **options}))
    decay = run.get("decay-report", run.get("decay_report"))
    if decay is not None:
        steps.append(PlannedStep("decay-report", "decay-report", [str(final)], None, {**as_of, **table("decay-report", value=decay)}))
    return steps, workdir


LOCK_NAME = ".listclean.lock"


@contextlib.contextmanager
def locked(workdir: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock on workdir/.listclean.lock for the whole run: a second run
    is refused at once (RunLocked, exit 75), never queued. The lock is filelock's native one
    (flock on Linux and macOS, LockFileEx on Windows), held by the open file, so the operating
    system releases it when the process ends however it ends; the file keeps the holder's pid."""
    from filelock import FileLock, Timeout

    if workdir.exists() and not workdir.is_dir():
        raise OutputError(f"{workdir}: the run's workdir is a file, not a directory", hint="set workdir in [run] to a directory")
    unwritable = "set workdir in [run] to a directory you can write"
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{workdir}: the run's workdir cannot be created or written ({error.strerror or error})", hint=unwritable) from None
    lock = FileLock(workdir / LOCK_NAME, on_acquired=_note_holder)
    try:
        lock.acquire(timeout=0)  # one attempt
    except Timeout:
        raise RunLocked(f"{workdir}: another listclean run holds the lock", hint="wait for it to finish; the lock is released when it ends") from None
    except OSError as error:
        raise OutputError(f"{workdir}: the run's workdir cannot be created or written ({error.strerror or error})", hint=unwritable) from None
    try:
        yield
    finally:
        lock.release()


def _note_holder(descriptor: int) -> None:
    """The holder's pid in the lock file, for a person wondering which process holds it."""
    with contextlib.suppress(OSError):  # only a note: the lock is what matters
        os.ftruncate(descriptor, 0)
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))


def run_pipeline(
    config: str,
    *,
    runtime_factory: Callable[[], Any] | None = None,
    on_step: Callable[[PlannedStep, StepResult], None] | None = None,
    on_start: Callable[[PlannedStep], None] | None = None,
    reraise: bool = False,
    also_writes: list[tuple[str, str | None]] | None = None,
    engine: str = "local",
    spark_master: str | None = None,
) -> RunReport:
    """Run every step of the run file in order under the work directory's lock.

    Every step's options and outputs are checked before the first step runs (a listclean error
    naming the step and key). Each step runs in a fresh runtime (its own work directory and
    memory budget) made by `runtime_factory`; `on_start`/`on_step` let a caller say what is
    happening. A step that fails — a listclean error (its exit code), a --fail-on threshold
    crossed (exit 1), or a bug (exit 70; raised instead with `reraise`) — ends the run; the
    report still lists every step that ran. Every file the run writes (each step's outputs, and
    `also_writes`, e.g. the CLI's --log) is checked first against every file it only reads and
    against each other (see `check_writes`). Each step's outputs are committed as a set when
    the step ends well (see io.write.OutputSet), and discarded when it fails.

    `engine="spark"` runs every step with listclean.spark's functions in a Spark session
    (`spark_master`, else what spark-submit or the SPARK_* settings say): the same plan, options,
    checks and summaries; each output a folder Spark writes (spark/executors.py). An option a step
    cannot honour on Spark yet is refused before the first step runs.
    """
    from listclean.runtime import Runtime

    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}", hint=f"use {' or '.join(ENGINES)}")
    make_runtime = runtime_factory or Runtime
    steps, workdir = plan(config)
    report = RunReport(config=config)
    started = time.perf_counter()
    with locked(workdir):
        calls = _calls(steps, engine, spark_master)  # nothing runs if any step is wrong
        check_writes(steps, calls, workdir, also_writes or [])
        for step, call in zip(steps, calls):
            if on_start is not None:
                on_start(step)
            result = _run_step(step, call, make_runtime, reraise)
            report.steps.append(result)
            if result.summary is not None:  # kept beside the outputs, for a person reading the work directory
                _keep_summary(result.summary, workdir / f"report-{step.name.replace(':', '-')}.json")
            if on_step is not None:
                on_step(step, result)
            if result.exit_code != 0:
                report.exit_code = result.exit_code
                break
            if step.replaces is not None and step.output is not None:
                _replace(step.output, step.replaces)  # the updated master becomes tomorrow's
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _replace(output: str, target: str) -> None:
    """The updated master over last night's: a file by one rename; a folder (what Spark writes)
    by two, last night's removed once the new one is in place (a folder cannot be renamed over
    one that is not empty)."""
    if os.path.isdir(target) and not os.path.islink(target):
        import shutil

        previous = f"{target}.previous"
        shutil.rmtree(previous, ignore_errors=True)  # left by a run killed between the renames
        os.replace(target, previous)
        os.replace(output, target)
        shutil.rmtree(previous)
    else:
        os.replace(output, target)


def _calls(steps: list[PlannedStep], engine: str, spark_master: str | None) -> list[Any]:
    """Each step's call on the engine, every step's options checked first."""
    if engine == "spark":
        from listclean.spark.executors import Spark, prepare as on_spark

        spark = Spark(spark_master)
        return [on_spark(step, spark) for step in steps]
    from listclean.steps.executors import prepare

    return [prepare(step) for step in steps]


def check_writes(steps: list[PlannedStep], calls: list[Any], workdir: Path, also: list[tuple[str, str | None]]) -> None:
    """Before the first step: no file is written twice (two steps, two outputs of one step, a
    step's output and the work directory's summaries), and none the run only reads (its inputs,
    suppression lists, segment rules) is written. A step's output read by the next step, and the
    store (read by import and validate, fed by each export), are the run's own by design."""
    from listclean.io.write import check_distinct

    written: list[tuple[str, str | None]] = list(also)
    store_seen: set[str] = set()
    for step, call in zip(steps, calls):
        for label, path in getattr(call, "writes", []):
            if label == "replaces":  # the step's own output renamed over last night's master
                continue
            if label == "store":  # every export feeds the same store, one after the other
                if path in store_seen:
                    continue
                store_seen.add(path)
            written.append((f"[{step.name}] {label}", path))
        written.append((f"[{step.name}] summary", str(workdir / f"report-{step.name.replace(':', '-')}.json")))
    # A file a step reads that no earlier step wrote is the run's to read only: no step may write it
    # (a later one would clobber what an earlier one read).
    produced: set[str] = set()
    read: list[str] = []
    for step, call in zip(steps, calls):
        named = [*step.inputs, *_listed(step.options.get("suppress")), *_listed(step.options.get("rules"))]
        if isinstance(step.options.get("against"), str):
            named.append(step.options["against"])
        if not store_seen and isinstance(step.options.get("store"), str):  # a store no export feeds is only read
            named.append(step.options["store"])
        read += [path for path in named if os.path.realpath(path) not in produced]
        produced |= {os.path.realpath(path) for label, path in getattr(call, "writes", []) if path}
    check_distinct(written, read)


def _listed(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [value] if isinstance(value, str) else []


def _run_step(step: PlannedStep, call: Callable[[Any], Any], make_runtime: Callable[[], Any], reraise: bool) -> StepResult:
    from listclean import __version__

    started = time.perf_counter()
    try:
        with make_runtime() as runtime:
            outcome, summary, failures = call(runtime)
    except ListcleanError as error:
        return StepResult(step.name, int(error.exit_code), round(time.perf_counter() - started, 2), None, error=error)
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as error:  # noqa: BLE001 - a bug in a step: the run still says which, and how far it got
        if reraise:
            raise
        return StepResult(step.name, int(ExitCode.INTERNAL), round(time.perf_counter() - started, 2), None, error=error)
    code = int(ExitCode.FINDINGS) if failures else 0
    return StepResult(step.name, code, round(time.perf_counter() - started, 2), {"listclean": __version__, **summary}, report=outcome)


def _keep_summary(summary: dict[str, Any], path: Path) -> None:
    import json

    from listclean.io.write import atomic_text

    atomic_text(str(path), json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n")
