"""How `listclean run` calls each library step from a planned step (see listclean.run).

A planned step names its input files, its output file and its options as the command's flags
would (underscored). `prepare` turns them into the step's options (through the same builders
and checks the command line uses, typed by the options dataclasses' fields), its reading
options and its output files — all checked before the run starts, so a typo in the last export
stops the run before the first file is written — and returns the call that runs the step in a
runtime: the source read with the reading options, the sinks, the step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from listclean.errors import ConfigError, ListcleanError

if TYPE_CHECKING:
    from listclean.importer import ImportOptions, ImportStream
    from listclean.io.write import OutputTarget
    from listclean.run import PlannedStep
    from listclean.runtime import Runtime
    from listclean.steps.decay import DecayStepOptions
    from listclean.stream.sink import Sink

READING = ("delimiter", "encoding", "sheet", "header", "skip_lines", "on_bad_rows", "map", "date_order", "default_country")
Outcome = tuple[Any, dict[str, Any], list[str]]  # the report, its summary, thresholds crossed
Execute = Callable[["Runtime"], Outcome]


class _Options:
    """A step's options from the run file, taken one name at a time and typed as they are taken
    (a run file's `rfm = "false"` is an error, not true); what is left at the end is unknown."""

    def __init__(self, step: PlannedStep) -> None:
        self.step = step
        self.values = dict(step.options)

    def _error(self, name: str, value: Any, wanted: str) -> ConfigError:
        return ConfigError(f"[run] step {self.step.name}: {name} = {value!r} is not {wanted}", hint=f"see `listclean {self.step.command} --help`")

    def has(self, name: str) -> bool:
        return name in self.values

    def take(self, name: str, kind: str = "str", default: Any = None) -> Any:
        """The option `name` as `kind` (str, int, float, bool, list), or `default` when absent."""
        if name not in self.values:
            return default
        value = self.values.pop(name)
        if kind == "list":
            items = value if isinstance(value, list) else [value]
            return [str(item) for item in items]
        if kind == "bool":
            if not isinstance(value, bool):
                raise self._error(name, value, "true or false")
            return value
        if isinstance(value, (list, bool)):  # bool before int: True is an int to Python
            raise self._error(name, value, {"int": "a whole number", "float": "a number"}.get(kind, "a single value"))
        if kind == "int":
            text = str(value).strip()
            if isinstance(value, int) or text.lstrip("+-").isdigit():
                return int(text)
            raise self._error(name, value, "a whole number")
        if kind == "float":
            try:
                return float(value)
            except ValueError:
                raise self._error(name, value, "a number") from None
        return str(value)

    def fields(self, options_class: type, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """Every option named like a field of `options_class`, typed by the field's annotation."""
        found = {}
        for field in dataclasses.fields(options_class):
            if field.init and field.name not in skip and field.name in self.values:
                found[field.name] = self.take(field.name, _kind(str(field.type)))
        return found

    def done(self) -> None:
        if self.values:
            names = ", ".join(sorted(self.values))
            raise ConfigError(f"[run] step {self.step.name}: no such option {names}", hint=f"see `listclean {self.step.command} --help`")


def _kind(annotation: str) -> str:
    """An options field's annotation as the kind of value a run file gives for it."""
    if annotation.startswith("list[") or annotation.startswith("tuple["):
        return "list"
    for kind in ("bool", "int", "float"):
        if annotation == kind or annotation.startswith(f"{kind} |"):
            return kind
    return "str"


def _reading(options: _Options, **extra: Any) -> ImportOptions:
    from listclean.importer import reading_options

    values: dict[str, Any] = {name: options.take(name) for name in READING if options.has(name) and name not in ("header", "skip_lines", "map")}
    if options.has("header"):
        values["header"] = options.take("header", "bool")
    if options.has("skip_lines"):
        values["skip_lines"] = options.take("skip_lines", "int")
    if options.has("map"):
        values["mapping"] = options.take("map", "list")
    return reading_options(**values, **extra)


def _target(path: str | None, step: PlannedStep, *, fmt: str | None = None, bom: bool = False) -> OutputTarget | None:
    from listclean.io.write import prepare_target

    return None if path is None else prepare_target(path, fmt=fmt, force=True, inputs=step.inputs, bom=bom)


def _file_sink(target: OutputTarget | None, runtime: Runtime, *, excel_safe: bool = False, for_people: bool = False) -> Sink | None:
    return None if target is None else runtime.file_sink(target, excel_safe=excel_safe, for_people=for_people)


def _writes(execute: Execute, *targets: tuple[str, OutputTarget | None], also: tuple[tuple[str, str | None], ...] = ()) -> Execute:
    """The call, labelled with every file the step writes ("rejects", path): run checks them all,
    across steps, before the first step runs."""
    execute.writes = [(label, target.path) for label, target in targets if target is not None] + [(label, path) for label, path in also if path]  # type: ignore[attr-defined]
    return execute


def _open(step: PlannedStep, reading: ImportOptions, runtime: Runtime) -> ImportStream:
    return runtime.open_inputs(step.inputs, reading)


def prepare_import(step: PlannedStep) -> Execute:
    from listclean.steps.importing import ImportStepOptions, import_step

    options = _Options(step)
    reading = _reading(options, source_name=options.take("source_name"))
    settings = ImportStepOptions(**options.fields(ImportStepOptions))
    rejects_path, excel_safe = options.take("rejects"), options.take("excel_safe", "bool", False)
    output, rejects = _target(step.output, step, bom=options.take("bom", "bool", False)), _target(rejects_path, step)
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        sink = _file_sink(output, runtime, excel_safe=excel_safe)
        report = import_step(_open(step, reading, runtime), settings, sink, runtime, rejects=_file_sink(rejects, runtime, for_people=True))
        return report, report.summary(output=step.output, rejects=rejects_path), []

    return _writes(execute, ("output", output), ("rejects", rejects))


def prepare_validate(step: PlannedStep) -> Execute:
    from listclean.email.reasons import REASONS, STATUS_ORDER
    from listclean.steps.validate import ValidateStepOptions, validate_step
    from listclean.thresholds import parse_thresholds

    options = _Options(step)
    reading = _reading(options)
    rejects_path = options.take("rejects")
    settings = ValidateStepOptions(
        **options.fields(ValidateStepOptions, skip=("thresholds", "dns")),
        thresholds=parse_thresholds(options.take("fail_on", "list", []), [*STATUS_ORDER, *REASONS]),
    )
    if settings.drop and rejects_path is None:
        raise ConfigError(f"[run] step {step.name}: drop needs rejects = \"path\", so dropped rows are kept somewhere")
    dns = options.take("dns", "bool", False)
    timeout, cache = options.take("dns_timeout", "float", 5.0), options.take("dns_cache")
    if dns:
        from listclean.email.dns import dns_checker

        settings.dns = dns_checker(timeout, cache)
    excel_safe = options.take("excel_safe", "bool", False)
    output, rejects = _target(step.output, step, bom=options.take("bom", "bool", False)), _target(rejects_path, step)
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        sink = _file_sink(output, runtime, excel_safe=excel_safe)
        report = validate_step(_open(step, reading, runtime), settings, sink, runtime, rejects=_file_sink(rejects, runtime, for_people=True))
        return report, report.summary(output=step.output, rejects=rejects_path), report.failures

    return _writes(execute, ("output", output), ("rejects", rejects), also=(("dns_cache", cache or None),))


def prepare_dedupe(step: PlannedStep) -> Execute:
    from listclean.steps.dedupe import DedupeStepOptions, dedupe_step, options_from
    from listclean.stream.sink import NullSink

    options = _Options(step)
    reading = _reading(options)
    settings = options_from(options.fields(DedupeStepOptions))
    dry_run = options.take("dry_run", "bool", False)
    paths = {name: options.take(name) for name in ("rejects", "clusters", "explain", "review")}
    excel_safe = options.take("excel_safe", "bool", False)
    output = None if dry_run else _target(step.output, step, bom=options.take("bom", "bool", False))
    targets = {name: _target(path, step) for name, path in paths.items()}
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        sink = NullSink() if output is None else _file_sink(output, runtime, excel_safe=excel_safe)
        sinks = {name: _file_sink(target, runtime, for_people=True) for name, target in targets.items()}
        report = dedupe_step(_open(step, reading, runtime), settings, sink, runtime, **sinks)
        return report, report.summary(output=None if dry_run else step.output, **paths), []

    return _writes(execute, ("output", output), *targets.items(), also=(("replaces", step.replaces),))


def prepare_segment(step: PlannedStep) -> Execute:
    from listclean.io.write import format_for
    from listclean.runtime import parse_as_of
    from listclean.steps.segment import SegmentStepOptions, segment_step, split_paths

    options = _Options(step)
    reading = _reading(options)
    settings = SegmentStepOptions(**options.fields(SegmentStepOptions, skip=("as_of",)))
    settings.as_of = parse_as_of(options.take("as_of"))
    split_dir, rejects_path = options.take("split_dir"), options.take("rejects")
    excel_safe, fmt = options.take("excel_safe", "bool", False), format_for("x", options.take("split_format"))
    splits = {name: _target(path, step, fmt=fmt) for name, path in split_paths(settings.definitions(), split_dir, fmt)} if split_dir else {}
    output, rejects = _target(step.output, step, bom=options.take("bom", "bool", False)), _target(rejects_path, step)
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        sink = _file_sink(output, runtime, excel_safe=excel_safe)
        split_sinks = {name: _file_sink(target, runtime, excel_safe=excel_safe) for name, target in splits.items()}
        report = segment_step(_open(step, reading, runtime), settings, sink, runtime, rejects=_file_sink(rejects, runtime, for_people=True), splits=split_sinks)
        files = {name: target.path for name, target in splits.items() if target is not None}
        return report, report.summary(output=step.output, split_files=files), []

    return _writes(execute, ("output", output), ("rejects", rejects), *((f"split_dir file ({name})", target) for name, target in splits.items()))


def prepare_export(step: PlannedStep) -> Execute:
    from listclean.runtime import parse_as_of
    from listclean.steps.export import ExportStepOptions, export_step

    options = _Options(step)
    reading = _reading(options)
    since = options.take("since")
    settings = ExportStepOptions(
        **options.fields(ExportStepOptions, skip=("as_of", "format", "columns", "since")), columns=options.take("columns", "list"),
        since=parse_as_of(since, "since") if since is not None else None,
    )
    settings.as_of = parse_as_of(options.take("as_of"))
    rejects_path = options.take("rejects")
    output = _target(step.output, step, fmt=settings.output_format, bom=options.take("bom", "bool", False))
    rejects = _target(rejects_path, step)
    options.done()
    if output is None:  # pragma: no cover - run.plan gives every export an output
        raise ConfigError(f"[run] step {step.name}: needs output = \"path\"")

    def execute(runtime: Runtime) -> Outcome:
        report = export_step(_open(step, reading, runtime), settings, output, runtime, rejects=_file_sink(rejects, runtime, for_people=True))
        return report, report.summary(output=output.display, rejects=rejects_path), []

    return _writes(execute, ("output", output), ("rejects", rejects), also=(("store", settings.store),))


DECAY_KINDS = {"months": "int", "benchmark": "float", "sunset_days": "int", "sunset_min_age": "int", "lapse_days": "int",
               "bounce_limit": "float", "complaint_limit": "float", "implied_days": "int", "inquiry_days": "int", "no_validate": "bool"}  # fmt: skip


def decay_settings(options: _Options) -> DecayStepOptions:
    """decay-report's options from a run file's table (its measures, thresholds and report date)."""
    from listclean.runtime import parse_as_of
    from listclean.steps.decay import options_from

    values = {name: options.take(name, kind) for name, kind in DECAY_KINDS.items() if options.has(name)}
    settings = options_from({**values, "fail_on": options.take("fail_on", "list", [])})
    settings.decay.as_of = parse_as_of(options.take("as_of"))
    return settings


def prepare_decay(step: PlannedStep) -> Execute:
    from listclean.decay_html import render_html
    from listclean.io.write import write_text
    from listclean.steps.decay import decay_step

    options = _Options(step)
    reading = _reading(options)
    settings = decay_settings(options)
    html, sunset_out = options.take("html"), options.take("sunset_out")
    html_target = _target(html, step)
    sunset_target = _target(sunset_out, step, fmt=options.take("format"))
    options.done()

    def execute(runtime: Runtime) -> Outcome:
        report = decay_step(_open(step, reading, runtime), settings, None, runtime, sunset=_file_sink(sunset_target, runtime, for_people=True))
        if html_target is not None:
            write_text(render_html(report.as_dict()), html_target, runtime.outputs)
        return report, report.summary(inputs=step.inputs, html=html, sunset_out=sunset_out), report.failures

    return _writes(execute, ("html", html_target), ("sunset_out", sunset_target))


PREPARE: dict[str, Callable[[PlannedStep], Execute]] = {
    "import": prepare_import,
    "validate": prepare_validate,
    "dedupe": prepare_dedupe,
    "segment": prepare_segment,
    "export": prepare_export,
    "decay-report": prepare_decay,
}


def prepare(step: PlannedStep) -> Execute:
    """The step's call, its options and outputs checked now (a listclean error names the step)."""
    try:
        return PREPARE[step.command](step)
    except ConfigError:
        raise
    except ListcleanError as error:
        raise type(error)(f"[run] step {step.name}: {error.message}", hint=error.hint) from None
