"""listclean run: the whole nightly job from one declarative file.

    [run]
    inputs = ["exports/*.csv", "exports/*.xlsx"]
    workdir = "clean"                      # intermediate and final files
    store = "suppression/store.tsv"        # optional: import, validate and export use it
    suppress = ["suppression/*.txt"]       # optional: validate and export use them

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

Each step is the command of the same name, run in this process on the previous step's
Parquet output: import -> validate -> dedupe -> segment (if configured) -> exports and the
decay report. The run stops at the first step that fails or crosses a --fail-on threshold
and exits with that step's code. A lock file in the work directory keeps two runs (two cron
entries, a slow night) from writing the same outputs. Re-running on the same inputs writes
the same files (outputs are replaced atomically; give `as_of` for date-dependent steps).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from listclean.cli.common import emit_summary, guarded
from listclean.cli.console import Reporter, settings
from listclean.errors import ConfigError, ExitCode, ListcleanError

ConfigPath = Annotated[str, typer.Argument(help="The run file (TOML with a [run] table).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the run's summary (every step's) as one JSON object on stdout.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the commands the run would execute, and stop.")]

STEP_ORDER = ("import", "validate", "dedupe", "segment")
OPTION_NAMES = {"fail_on": "--fail-on", "suppress": "--suppress", "map": "--map", "trust": "--trust", "drop": "--drop"}


class RunLocked(ListcleanError):
    exit_code = ExitCode.LOCKED


def _flag(name: str) -> str:
    return OPTION_NAMES.get(name, "--" + name.replace("_", "-"))


RESERVED = {"output", "o", "force", "report", "json", "format", "f"}  # the run decides where each step writes


def _arguments(options: dict[str, Any], where: str) -> list[str]:
    """TOML options -> command-line flags: true -> --flag, false -> omitted, lists repeat the flag."""
    args: list[str] = []
    for name, value in options.items():
        if name in RESERVED:
            raise ConfigError(f"{where}: {name!r} is set by the run itself", hint="only [[run.export]] takes an output")
        flag = _flag(name)
        if isinstance(value, bool):
            if value:
                args.append(flag)
        elif isinstance(value, list):
            for item in value:
                args += [flag, str(item)]
        elif isinstance(value, (str, int, float)):
            args += [flag, str(value)]
        else:
            raise ConfigError(f"{where}: option {name!r} has an unsupported value {value!r}")
    return args


def _expand(patterns: list[str], base: Path, where: str) -> list[str]:
    files: list[str] = []
    for pattern in patterns:
        found = sorted(glob.glob(str(base / pattern)))
        if not found:
            raise ConfigError(f"{where}: {pattern!r} matches no file", hint="check the path, relative to the run file")
        files += found
    return files


def plan(path: str) -> tuple[list[tuple[str, list[str]]], Path]:
    """The list of (step name, argv) the run file asks for, and the work directory."""
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
    if not isinstance(inputs, list) or not inputs:
        raise ConfigError(f"{path}: [run] needs inputs = [\"file or glob\", ...]")
    workdir = base / str(run.get("workdir", "listclean-run"))
    files = _expand([str(item) for item in inputs], base, f"{path}: inputs")
    store = ["--store", str(base / run["store"])] if run.get("store") else []
    suppress: list[str] = []
    for item in _expand([str(p) for p in run.get("suppress", [])], base, f"{path}: suppress"):
        suppress += ["--suppress", item]
    as_of = ["--as-of", str(run["as_of"])] if run.get("as_of") else []

    def table(name: str) -> dict[str, Any]:
        value = run.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: [run.{name}] must be a table")
        return dict(value)

    def resolve(options: dict[str, Any], *keys: str) -> dict[str, Any]:
        for key in keys:
            if isinstance(options.get(key), str):
                options[key] = str(base / options[key])
        return options

    steps: list[tuple[str, list[str]]] = []
    contacts, validated, golden = workdir / "contacts.parquet", workdir / "validated.parquet", workdir / "golden.parquet"
    steps.append(("import", ["import", *files, "-o", str(contacts), "--rejects", str(workdir / "rejects.csv"), *store, *_arguments(table("import"), f"{path}: [run.import]")]))
    steps.append(("validate", ["validate", str(contacts), "-o", str(validated), *store, *suppress, *_arguments(table("validate"), f"{path}: [run.validate]")]))
    dedupe = table("dedupe")
    against = dedupe.pop("against", False)
    against_args = ["--against", str(golden)] if against is True and golden.exists() else (["--against", str(base / against)] if isinstance(against, str) else [])
    # Against last night's master, the updated master is written beside it and then replaces it
    # (after the step succeeded), so a failed run never leaves a half-updated master.
    deduped = workdir / "golden-next.parquet" if against_args else golden
    steps.append(("dedupe", ["dedupe", str(validated), *against_args, "-o", str(deduped), "--explain", str(workdir / "merges.csv"), *_arguments(dedupe, f"{path}: [run.dedupe]")]))
    final = golden
    if "segment" in run:
        segmented = workdir / "segmented.parquet"
        options = resolve(table("segment"), "rules")
        steps.append(("segment", ["segment", str(golden), "-o", str(segmented), *as_of, *_arguments(options, f"{path}: [run.segment]")]))
        final = segmented
    exports = run.get("export", [])
    if isinstance(exports, dict):
        exports = [exports]
    for number, options in enumerate(exports, start=1):
        if not isinstance(options, dict) or "output" not in options:
            raise ConfigError(f"{path}: [[run.export]] #{number} needs output = \"path\"")
        options = resolve(dict(options), "output")
        output = options.pop("output")
        steps.append((f"export:{Path(output).name}", ["export", str(final), "-o", output, *store, *suppress, *_arguments(options, f"{path}: [[run.export]] #{number}")]))
    decay = run.get("decay-report", run.get("decay_report"))
    if decay is not None:
        if not isinstance(decay, dict):
            raise ConfigError(f"{path}: [run.decay-report] must be a table")
        options = resolve(dict(decay), "html", "sunset_out")
        steps.append(("decay-report", ["decay-report", str(final), *as_of, *_arguments(options, f"{path}: [run.decay-report]")]))
    return steps, workdir


@contextlib.contextmanager
def locked(workdir: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock on workdir/.listclean.lock for the whole run."""
    import fcntl

    workdir.mkdir(parents=True, exist_ok=True)
    handle = open(workdir / ".listclean.lock", "a+")  # noqa: SIM115 - held for the run
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(f"{workdir}: another listclean run holds the lock", hint="wait for it to finish; the lock is released when it ends") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


@guarded
def command(config: ConfigPath, json: JsonFlag = False, dry_run: DryRun = False) -> None:  # noqa: A002
    """Run the nightly pipeline described in a TOML file: import, validate, dedupe, segment, export, decay report.

    Stops at the first step that fails or crosses a threshold, with that step's exit code; a lock keeps two runs apart.
    """
    from listclean.cli.app import app

    reporter = Reporter()
    steps, workdir = plan(config)
    if dry_run:
        for name, argv in steps:
            print(f"{name}: listclean {' '.join(argv)}")
        return
    common = [*(["-q"] if settings.quiet else []), *(["-v"] if settings.verbose else []), *(["--log", settings.log] if settings.log else [])]
    results: list[dict[str, Any]] = []
    code = 0
    started = time.perf_counter()
    with locked(workdir):
        for name, argv in steps:
            report = workdir / f"report-{name.replace(':', '-')}.json"
            args = [*common, argv[0], *argv[1:], "--force", "--report", str(report)]
            reporter.info(f"[{name}] listclean {' '.join(argv)}")
            step_started = time.perf_counter()
            try:
                outcome = app(args=args, prog_name="listclean", standalone_mode=False)
                step_code = int(outcome or 0)
            except SystemExit as exit_:  # a usage error raised by Click itself
                step_code = int(exit_.code or 0)
            summary = _json_file(report)
            results.append({"step": name, "exit_code": step_code, "seconds": round(time.perf_counter() - step_started, 2), "summary": summary})
            if step_code != 0:
                code = step_code
                reporter.error(f"step {name} ended with exit code {step_code}; later steps were not run")
                break
            if name == "dedupe" and "--against" in argv:
                os.replace(argv[argv.index("-o") + 1], workdir / "golden.parquet")  # the updated master becomes tomorrow's
    emit_summary(
        {"command": "run", "config": config, "ok": code == 0, "exit_code": code, "seconds": round(time.perf_counter() - started, 2), "steps": results},
        json_summary=json,
        report=None,
    )
    if code:
        raise typer.Exit(code)


def _json_file(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
