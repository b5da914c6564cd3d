"""How `listclean run` calls each library step from a planned step (see listclean.run).

A planned step names its input files, its output file and its options as the command's flags
would (underscored). Here those become the step's source (read with the reading options),
its options (through the same builders the command line uses) and its sinks, so a run file
and a command line with the same options do the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from listclean.errors import ConfigError

if TYPE_CHECKING:
    from listclean.importer import ImportStream
    from listclean.run import PlannedStep
    from listclean.runtime import Runtime
    from listclean.stream.sink import Sink

READING = ("delimiter", "encoding", "sheet", "header", "on_bad_rows", "map", "date_order", "default_country")
Outcome = tuple[Any, dict[str, Any], list[str]]  # the report, its summary, thresholds crossed


class _Options:
    """A step's options from the run file, taken one name at a time; what is left is unknown."""

    def __init__(self, step: PlannedStep) -> None:
        self.step = step
        self.values = dict(step.options)

    def take(self, name: str, default: Any = None) -> Any:
        return self.values.pop(name, default)

    def take_list(self, name: str) -> list[Any]:
        value = self.values.pop(name, [])
        return value if isinstance(value, list) else [value]

    def done(self) -> None:
        if self.values:
            names = ", ".join(sorted(self.values))
            raise ConfigError(f"[run] step {self.step.name}: no such option {names}", hint=f"see `listclean {self.step.command} --help`")


def _source(options: _Options, runtime: Runtime, **extra: Any) -> ImportStream:
    from listclean.importer import reading_options

    reading = {name: options.take(name) for name in READING if name in options.values}
    if "map" in reading:
        reading["mapping"] = [str(spec) for spec in (reading.pop("map") if isinstance(reading["map"], list) else [reading.pop("map")])]
    return runtime.open_inputs(options.step.inputs, reading_options(**reading, **extra))


def _sink(path: str | None, options: _Options, runtime: Runtime, *, excel_safe: bool = False) -> Sink | None:
    from listclean.io.write import prepare_target

    if path is None:
        return None
    target = prepare_target(path, fmt=None, force=True, inputs=options.step.inputs, bom=bool(options.take("bom", False)))
    return runtime.file_sink(target, excel_safe=excel_safe)


def run_import(step: PlannedStep, runtime: Runtime) -> Outcome:
    from listclean.steps.importing import ImportStepOptions, import_step

    options = _Options(step)
    source = _source(options, runtime, source_name=options.take("source_name"))
    settings = ImportStepOptions(store=options.take("store"))
    rejects_path = options.take("rejects")
    excel_safe = bool(options.take("excel_safe", False))
    sink, rejects = _sink(step.output, options, runtime, excel_safe=excel_safe), _sink(rejects_path, options, runtime)
    options.done()
    report = import_step(source, settings, sink, runtime, rejects=rejects)
    return report, report.summary(output=step.output, rejects=rejects_path), []


def run_validate(step: PlannedStep, runtime: Runtime) -> Outcome:
    from listclean.email.reasons import REASONS, STATUS_ORDER
    from listclean.steps.validate import ValidateStepOptions, validate_step
    from listclean.thresholds import parse_thresholds

    options = _Options(step)
    source = _source(options, runtime)
    rejects_path = options.take("rejects")
    drop = [str(status) for status in options.take_list("drop")]
    if drop and rejects_path is None:
        raise ConfigError(f"[run] step {step.name}: drop needs rejects = \"path\", so dropped rows are kept somewhere")
    settings = ValidateStepOptions(
        fix_typos=bool(options.take("fix_typos", False)),
        suppress=[str(p) for p in options.take_list("suppress")],
        store=options.take("store"),
        drop=drop,
        thresholds=parse_thresholds([str(t) for t in options.take_list("fail_on")], [*STATUS_ORDER, *REASONS]),
    )
    if options.take("dns", False):
        from listclean.email.dns import DnsChecker, default_cache_path, dnspython_resolver

        settings.dns = DnsChecker(resolver=dnspython_resolver, timeout=float(options.take("dns_timeout", 5.0)), cache_path=default_cache_path())
    excel_safe = bool(options.take("excel_safe", False))
    sink, rejects = _sink(step.output, options, runtime, excel_safe=excel_safe), _sink(rejects_path, options, runtime)
    options.done()
    report = validate_step(source, settings, sink, runtime, rejects=rejects)
    return report, report.summary(output=step.output, rejects=rejects_path), report.failures


def run_dedupe(step: PlannedStep, runtime: Runtime) -> Outcome:
    from dataclasses import fields

    from listclean.steps.dedupe import DedupeStepOptions, dedupe_step, options_from

    options = _Options(step)
    source = _source(options, runtime)
    values = {f.name: options.take(f.name) for f in fields(DedupeStepOptions) if f.name in options.values}
    if "trust" in values:
        values["trust"] = [str(t) for t in (values["trust"] if isinstance(values["trust"], list) else [values["trust"]])]
    settings = options_from(values)
    rejects_path, clusters_path, explain_path = options.take("rejects"), options.take("clusters"), options.take("explain")
    excel_safe = bool(options.take("excel_safe", False))
    sink = _sink(step.output, options, runtime, excel_safe=excel_safe)
    rejects, clusters, explain = (_sink(path, options, runtime) for path in (rejects_path, clusters_path, explain_path))
    options.done()
    report = dedupe_step(source, settings, sink, runtime, rejects=rejects, clusters=clusters, explain=explain)
    summary = report.summary(output=step.output, rejects=rejects_path, clusters=clusters_path, explain=explain_path)
    return report, summary, []


def run_segment(step: PlannedStep, runtime: Runtime) -> Outcome:
    from dataclasses import fields

    from listclean.io.write import format_for, prepare_target
    from listclean.runtime import parse_as_of
    from listclean.steps.segment import SegmentStepOptions, segment_step, split_paths

    options = _Options(step)
    source = _source(options, runtime)
    names = [f.name for f in fields(SegmentStepOptions) if f.init and f.name != "as_of"]
    settings = SegmentStepOptions(**{name: options.take(name) for name in names if name in options.values})
    settings.as_of = parse_as_of(options.take("as_of"))
    split_dir, rejects_path = options.take("split_dir"), options.take("rejects")
    excel_safe = bool(options.take("excel_safe", False))
    files = {}
    if split_dir:
        fmt = format_for("x", options.take("split_format"))
        files = {name: prepare_target(path, fmt=fmt, force=True, inputs=step.inputs) for name, path in split_paths(settings.definitions(), split_dir, fmt)}
    sink, rejects = _sink(step.output, options, runtime, excel_safe=excel_safe), _sink(rejects_path, options, runtime)
    options.done()
    splits = {name: runtime.file_sink(target, excel_safe=excel_safe) for name, target in files.items()}
    report = segment_step(source, settings, sink, runtime, rejects=rejects, splits=splits)
    return report, report.summary(output=step.output, split_files={name: target.path for name, target in files.items()}), []


def run_decay(step: PlannedStep, runtime: Runtime) -> Outcome:
    from listclean.decay_html import render_html
    from listclean.io.write import prepare_target, write_text
    from listclean.runtime import parse_as_of
    from listclean.steps.decay import decay_step, options_from

    options = _Options(step)
    source = _source(options, runtime)
    names = ("months", "benchmark", "sunset_days", "sunset_min_age", "lapse_days", "bounce_limit", "complaint_limit", "implied_days", "inquiry_days", "no_validate")
    values = {name: options.take(name) for name in names if name in options.values}
    settings = options_from({**values, "fail_on": [str(t) for t in options.take_list("fail_on")]})
    settings.decay.as_of = parse_as_of(options.take("as_of"))
    html, sunset_out = options.take("html"), options.take("sunset_out")
    sunset = _sink(sunset_out, options, runtime)
    options.done()
    report = decay_step(source, settings, None, runtime, sunset=sunset)
    if html:
        write_text(render_html(report.as_dict()), prepare_target(html, fmt=None, force=True, inputs=step.inputs))
    return report, report.summary(inputs=step.inputs, html=html, sunset_out=sunset_out), report.failures


def run_export(step: PlannedStep, runtime: Runtime) -> Outcome:
    from dataclasses import fields

    from listclean.io.write import prepare_target
    from listclean.runtime import parse_as_of
    from listclean.steps.export import ExportStepOptions, export_step

    options = _Options(step)
    source = _source(options, runtime)
    names = [f.name for f in fields(ExportStepOptions) if f.name not in ("as_of", "suppress", "format")]
    settings = ExportStepOptions(
        **{name: options.take(name) for name in names if name in options.values},
        suppress=[str(p) for p in options.take_list("suppress")],
        as_of=parse_as_of(options.take("as_of")),
    )
    rejects_path = options.take("rejects")
    assert step.output is not None  # an export always names its output (see run.plan)
    target = prepare_target(step.output, fmt=settings.output_format, force=True, inputs=step.inputs, bom=bool(options.take("bom", False)))
    rejects = _sink(rejects_path, options, runtime)
    options.done()
    report = export_step(source, settings, target, runtime, rejects=rejects)
    return report, report.summary(output=target.display, rejects=rejects_path), []


EXECUTORS: dict[str, Callable[[PlannedStep, Runtime], Outcome]] = {
    "import": run_import,
    "validate": run_validate,
    "dedupe": run_dedupe,
    "segment": run_segment,
    "export": run_export,
    "decay-report": run_decay,
}

