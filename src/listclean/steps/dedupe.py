"""The dedupe step: one person, one record, every merge explained.

Three ways, one entry point (`dedupe_step`):

- in one piece: a list the run's memory budget holds is deduplicated at once;
- in parts: a larger list is split into parts that no match crosses, each deduplicated in
  memory, the golden records put back in input order (see `listclean.linkage.partitioned`);
- against a master: the new rows are matched to the clusters of an earlier dedupe output,
  which is streamed (see `listclean.linkage.against`); the output is the updated master.

The master is either given as a chunk source (`master=`, e.g. a frame the Python API turned
into one) or named by `options.against`, a path read with the same import options as the
new rows. Its rows and rejects are accounted for like the new rows': rows in = rows out +
rejected + merged counts both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from listclean.errors import InputError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    import polars as pl

    from listclean.linkage import DedupeOptions, DedupeReport
    from listclean.linkage.model import LinkageModel
    from listclean.runtime import Progress, Runtime
    from listclean.stream.sink import Sink
    from listclean.stream.source import ChunkSource

MATCH_LEVELS = ("exact", "canonical", "fuzzy")
# The review file's columns when no pair was uncertain (the fields shown depend on the list).
REVIEW_HEADER = ("left_file", "left_row", "right_file", "right_row", "probability", "label", "reason")
BIRTH_DATES = ("auto", "strict", "weighed")
EXPLAIN_ORDER = ["cluster_id", "left_file", "left_row", "right_file", "right_row"]


@dataclass
class DedupeStepOptions:
    """The dedupe flags, by their names with underscores (the CLI's defaults)."""

    match: str = "fuzzy"  # exact | canonical | fuzzy
    threshold: float = 0.9  # fuzzy: match probability from which two records are one person
    review_threshold: float = 0.5  # fuzzy: pairs from here up to --threshold are uncertain (--review)
    birth_dates: str = "auto"  # fuzzy: strict (two different birth dates are two people) | weighed | auto (strict unless the list's are unreliable)
    labels: str | None = None  # fuzzy: a --review file with its label column filled in
    model: str | None = None  # fuzzy: weights saved by an earlier run (--save-model): used, not learned
    save_model: str | None = None  # fuzzy: write the weights used here (JSON), to reuse with --model
    name_threshold: float = 0.88  # canonical: name similarity needed alongside the same phone
    strong_name_threshold: float = 0.93  # no longer used (fuzzy learns its weights); accepted so old run files still run
    email_threshold: float = 0.9  # address similarity counted as a typo of the same address
    max_block_size: int = 50  # largest group of rows sharing a blocking key compared pairwise
    max_cluster_size: int = 25  # larger clusters are rebuilt from strong matches only
    trust: list[str] = field(default_factory=list)  # sources, most trusted first: their values win
    explain_all: bool = False  # --explain lists every compared pair, not only matches and near misses
    against: str | None = None  # an earlier dedupe output: match the input to its clusters

    def __post_init__(self) -> None:
        if self.match not in MATCH_LEVELS:
            raise UsageError(f"unknown match level {self.match!r}", hint=f"use one of {', '.join(MATCH_LEVELS)}")
        for name, value in (
            ("--threshold", self.threshold), ("--review-threshold", self.review_threshold), ("--name-threshold", self.name_threshold),
            ("--strong-name-threshold", self.strong_name_threshold), ("--email-threshold", self.email_threshold),
        ):  # fmt: skip
            if not 0 < value <= 1:
                raise UsageError(f"{name} must be between 0 and 1, not {value}")
        if self.review_threshold > self.threshold:
            raise UsageError(f"--review-threshold ({self.review_threshold}) must not be above --threshold ({self.threshold})")
        if self.birth_dates not in BIRTH_DATES:
            raise UsageError(f"unknown --birth-dates {self.birth_dates!r}", hint=f"use one of {', '.join(BIRTH_DATES)}")
        for flag, value in (("--labels", self.labels), ("--model", self.model), ("--save-model", self.save_model)):
            if value and self.match != "fuzzy":
                raise UsageError(f"{flag} needs --match fuzzy", hint="only the probabilistic model has weights and labels; exact and canonical matching have none")
        if self.max_block_size < 2 or self.max_cluster_size < 2:
            raise UsageError("--max-block-size and --max-cluster-size must be at least 2")

    def engine(self, labels: pl.DataFrame | None = None, review: bool = False, model: LinkageModel | None = None) -> DedupeOptions:
        """The matching engine's options (`labels`: the --labels file read; `review`: collect the
        uncertain pairs; `model`: the --model file read)."""
        from listclean.linkage import DedupeOptions
        from listclean.linkage.compare import MatchSettings
        from listclean.linkage.survivorship import SurvivorshipSettings

        return DedupeOptions(
            match=self.match,
            settings=MatchSettings(name=self.name_threshold, email=self.email_threshold),
            survivorship=SurvivorshipSettings(trusted_sources=tuple(self.trust)),
            max_block=self.max_block_size,
            max_cluster=self.max_cluster_size,
            keep_all_pairs=self.explain_all,
            threshold=self.threshold,
            review_threshold=self.review_threshold,
            strict_birth_dates={"strict": True, "weighed": False}.get(self.birth_dates),
            labels=labels,
            review=review,
            model=model,
        )


def options_from(values: Mapping[str, Any]) -> DedupeStepOptions:
    """The step's options from the command's flags, by name (underscored), as the command line and
    a run file's [run.dedupe] give them; a missing or None value takes the flag's default. The
    values are checked (DedupeStepOptions.__post_init__), with the flags' names in the messages."""
    names = set(DedupeStepOptions.__dataclass_fields__)
    unknown = sorted(set(values) - names)
    if unknown:
        raise UsageError(f"dedupe has no option {unknown[0]!r}", hint=f"use {', '.join(sorted(names))}")
    given = {name: value for name, value in values.items() if value is not None}
    if "trust" in given:
        given["trust"] = [given["trust"]] if isinstance(given["trust"], str) else list(given["trust"])
    return DedupeStepOptions(**given)


@dataclass
class DedupeStepReport:
    counts: dict[str, int]  # rows_in (the master's too), rows_out, rejected, merged
    dedupe: DedupeReport  # matches by rule, clusters, blocks too large …
    master_rows: int = 0  # rows read from the master (--against)
    against: bool = False  # matched against a master
    parts: int = 1  # parts that no match crosses the list was deduplicated in
    dry_run: bool = False  # the output went to a NullSink
    review_pairs: int = 0  # uncertain pairs written for review
    labelled_pairs: int = 0  # pairs read from --labels
    labels_unmatched: int = 0  # of those, pairs naming a row this input does not have
    saved_model: str | None = None  # where the weights were written (--save-model)

    def summary(
        self, *, output: str | None = None, rejects: str | None = None, clusters: str | None = None, explain: str | None = None, review: str | None = None
    ) -> dict[str, Any]:
        return {
            "command": "dedupe",
            "output": output,
            "dry_run": self.dry_run,
            "rejects": rejects,
            **self.counts,
            "master_rows": self.master_rows,
            **{key: value for key, value in self.dedupe.as_dict().items() if key not in ("rows_in", "rows_out", "merged_rows", "model")},
            "clusters": clusters,
            "explain": explain,
            "review": review,
            "review_pairs": self.review_pairs,
            "labelled_pairs": self.labelled_pairs,
            "labels_unmatched": self.labels_unmatched,
            "saved_model": self.saved_model,
            # fuzzy: the weights learned from the list (each comparison level's m, u and weight)
            "model": self.dedupe.as_dict()["model"],
        }


@dataclass
class _Deduped:
    report: DedupeReport
    pairs: pl.DataFrame
    columns: list[str] | Callable[[list[str]], list[str]]  # the output's columns, or a function of those seen
    parts: int = 1
    review: pl.DataFrame | None = None


def dedupe_step(
    source: ChunkSource,
    options: DedupeStepOptions,
    sink: Sink,
    runtime: Runtime,
    *,
    rejects: Sink | None = None,
    clusters: Sink | None = None,
    explain: Sink | None = None,
    review: Sink | None = None,
    master: ChunkSource | None = None,
) -> DedupeStepReport:
    """Deduplicate `source` into `sink` (golden records), or match it to a master (`master`, or
    the file `options.against`) and write the updated master.

    `clusters` gets every row in play's _source_file, _source_row -> cluster_id, is_survivor;
    `explain` the compared pairs with their scores, rule and reason; `review` (fuzzy) the
    uncertain pairs for a person to label; `rejects` the rows the inputs (new rows and master)
    could not give. Pass a `NullSink` for a dry run.
    """
    from listclean.linkage.engine import CLUSTER_COLUMNS
    from listclean.linkage.review import load_labels
    from listclean.stream.sink import NullSink

    if review is not None and options.match != "fuzzy":
        raise UsageError("--review needs --match fuzzy", hint="only the probabilistic model has uncertain pairs")
    if master is None and options.against:
        master = _open_master(source, options.against, runtime)
    labels = load_labels(options.labels, runtime.workspace) if options.labels else None
    engine = options.engine(labels, review=review is not None, model=_load_model(options.model) if options.model else None)
    named = _NamedRows(labels)
    ledger = runtime.ledger()
    with runtime.reporter.phase("Deduplicating") as progress:
        if master is not None:
            done = _against(source, master, options, engine, sink, clusters, runtime, progress, named)
        else:
            done = _whole(source, engine, sink, clusters, runtime, progress, named, keep_pairs=explain is not None)
        sink.finish(done.columns)
        # Every row read is accounted for: the master's unreadable or empty rows too.
        ledger.read(source)
        if master is not None:
            ledger.read(master)
        ledger.merged = done.report.merged_rows
        ledger.write(rejects)
        if clusters is not None:
            clusters.finish(list(CLUSTER_COLUMNS))
        if explain is not None:
            explain.add(done.pairs.sort(EXPLAIN_ORDER, nulls_last=True))
            explain.finish()
        if options.save_model and done.report.model is not None:
            from listclean.io.write import atomic_text
            from listclean.linkage.model import model_json

            atomic_text(options.save_model, model_json(done.report.model), runtime.outputs)
        if review is not None:
            write_review(review, done.review)
    return DedupeStepReport(
        counts=ledger.balance(sink.rows),
        dedupe=done.report,
        master_rows=master.rows_in if master is not None else 0,
        against=master is not None,
        parts=done.parts,
        dry_run=isinstance(sink, NullSink),
        review_pairs=done.review.height if done.review is not None else 0,
        labelled_pairs=labels.height if labels is not None else 0,
        labels_unmatched=named.unmatched(),
        saved_model=options.save_model if options.save_model and done.report.model is not None else None,
    )


def write_review(sink: Sink, pairs: pl.DataFrame | None) -> None:
    """The review file: the uncertain pairs (review.review_pairs), or, when no pair was uncertain,
    the file all the same with its header (a person, or a script, looks for it)."""
    import polars as pl

    if pairs is not None and pairs.height:
        sink.add(pairs)
    sink.finish(empty=pairs if pairs is not None else pl.DataFrame(schema=dict.fromkeys(REVIEW_HEADER, pl.String)))


def _load_model(path: str) -> LinkageModel:
    """A --model file, or a clear error naming it."""
    from listclean.linkage.model import read_model

    try:
        with open(path, encoding="utf-8") as handle:
            return read_model(handle.read())
    except FileNotFoundError:
        raise InputError("does not exist", source=path, hint="--model takes a file written by dedupe --save-model") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise InputError(f"is not a model listclean can use: {error}", source=path, hint="--model takes a file written by dedupe --save-model") from None


class _NamedRows:
    """Which rows a --labels file names were read, so labels naming rows that are not in this
    input (another file, the same file under another path) are reported, not silently unused."""

    def __init__(self, labels: pl.DataFrame | None) -> None:
        self.labels = labels
        self.wanted = set() if labels is None else {*labels["left_ref"].to_list(), *labels["right_ref"].to_list()}
        self.seen: set[str] = set()

    def note(self, chunks: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        import polars as pl

        for chunk in chunks:
            if self.wanted and "_source_file" in chunk.columns:
                refs = chunk.select(pl.concat_str(pl.col("_source_file").cast(pl.String), pl.lit(":"), pl.col("_source_row").cast(pl.String)))
                self.seen.update(refs.to_series().filter(refs.to_series().is_in(sorted(self.wanted))).to_list())
            yield chunk

    def unmatched(self) -> int:
        """Labelled pairs one of whose rows was not read."""
        if self.labels is None:
            return 0
        seen = sorted(self.seen)
        return int((~(self.labels["left_ref"].is_in(seen) & self.labels["right_ref"].is_in(seen))).sum())


def _whole(
    source: ChunkSource, engine: DedupeOptions, sink: Sink, clusters: Sink | None, runtime: Runtime, progress: Progress, named: _NamedRows, *, keep_pairs: bool
) -> _Deduped:
    """The list in one piece, or in parts that no match crosses (the same output either way)."""
    from listclean.linkage.engine import CLUSTER_COLUMNS
    from listclean.linkage.partitioned import dedupe_in_parts

    # Parts of a chunk's rows (250,000 by default): a part's in-memory dedupe needs about three
    # times its size. Not smaller: each part's golden records are filed by window of input
    # positions (parts x windows pieces), so halving the part quadruples the pieces spilled
    # (10M rows in parts of 125,000: 11 minutes instead of 4½).
    with runtime.chunks(source) as chunks:
        parted = dedupe_in_parts(
            named.note(chunks), engine, runtime.spool, max(1, runtime.chunk_rows), keep_pairs=keep_pairs, columns=source.output_columns, progress=progress
        )
    for golden in parted.golden:
        sink.add(golden)
    for rows in parted.clusters:
        if clusters is not None:
            clusters.add(rows.select(CLUSTER_COLUMNS))
    return _Deduped(parted.report, parted.pairs, source.output_columns, parted.parts, parted.review)


def _against(
    source: ChunkSource,
    master: ChunkSource,
    options: DedupeStepOptions,
    engine: DedupeOptions,
    sink: Sink,
    clusters: Sink | None,
    runtime: Runtime,
    progress: Progress,
    named: _NamedRows,
) -> _Deduped:
    """The new rows in memory, matched to a master streamed through (see dedupe/against.py)."""
    import polars as pl

    from listclean.linkage.against import dedupe_against
    from listclean.linkage.engine import CLUSTER_COLUMNS

    frames = list(named.note(source))
    new = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    del frames
    name = options.against or "the master"
    with runtime.chunks(master) as chunks:
        result = dedupe_against(new.select(source.columns()), named.note(_with_cluster_ids(chunks, name)), engine, runtime.spool, master.output_columns, progress)
    del new
    # The master's columns all stay (its `_raw` columns too, when no new row needed one).
    new_columns = source.output_columns(result.columns)
    columns = [column for column in result.columns if column in result.master_columns or column in new_columns]
    for golden in result.golden:
        sink.add(golden)
    if clusters is not None:
        clusters.add(result.clusters.select(CLUSTER_COLUMNS))
    return _Deduped(result.report, result.pairs, columns, review=result.review)


def _open_master(source: ChunkSource, path: str, runtime: Runtime) -> ChunkSource:
    """The master file read as the new rows are: with the same import options (an ImportStream's)."""
    reading = getattr(source, "options", None)
    if reading is None:
        raise UsageError(f"against={path!r} needs the new rows read from files", hint="pass the master as a chunk source (master=)")
    return runtime.open_inputs([path], reading)


def _with_cluster_ids(chunks: Iterable[pl.DataFrame], source: str) -> Iterator[pl.DataFrame]:
    """The master's chunks, refused at the first if it is not a dedupe output."""
    for chunk in chunks:
        if "cluster_id" not in chunk.columns:
            raise InputError("has no cluster_id column", source=source, hint="--against takes a file written by listclean dedupe")
        yield chunk
