"""The dedupe step: features -> candidate pairs -> scored pairs -> clusters -> golden records.

``dedupe(frame)`` returns the golden records (one row per cluster, every row of the input
accounted for in ``merged_from``), the row -> cluster map, the scored pairs for
``--explain`` and a report. ``dedupe(frame, master=...)`` matches new rows to the clusters
of an earlier dedupe output without re-clustering it (see ``_against_master``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from listclean import schema
from listclean.linkage.blocking import BlockingReport, candidate_pairs, identity_expression, keys_for
from listclean.linkage.cluster import cluster_ids, components, guarded_components, kept_apart
from listclean.linkage.compare import NOT_MATCHED, RULES, STRONG_RULES, MatchSettings, score_pairs
from listclean.linkage.comparisons import COMPARISONS
from listclean.linkage.features import prepare
from listclean.linkage.model import TRAINING_ROWS
from listclean.linkage.training import against_training_rows, training_rows
from listclean.linkage.survivorship import ADDED, SurvivorshipSettings, golden_records, rank_rows

if TYPE_CHECKING:
    import polars as pl

    from listclean.linkage.model import LinkageModel

PAIR_CHUNK = 500_000  # candidate pairs scored at a time
FIRST_ROW = "__first"
CLUSTER_COLUMNS = ("_source_file", "_source_row", "cluster_id", "is_survivor")
EXPLAIN_COLUMNS = (
    "cluster_id", "left_file", "left_row", "right_file", "right_row", "matched", "rule", "reason", "probability", "match_weight",
    *(column for c in COMPARISONS for column in (f"{c.name}_agreement", f"{c.name}_weight")), "key",
)  # fmt: skip


@dataclass
class DedupeOptions:
    match: str = "fuzzy"  # exact | canonical | fuzzy: which blocking keys and rules are used
    settings: MatchSettings = field(default_factory=MatchSettings)
    survivorship: SurvivorshipSettings = field(default_factory=SurvivorshipSettings)
    max_block: int = 50
    max_cluster: int = 25
    keep_all_pairs: bool = False  # keep every scored pair for --explain-all (else matches and near misses)
    threshold: float = 0.9  # fuzzy: match probability at or above which a pair is one person
    review_threshold: float = 0.5  # fuzzy: pairs from here up to the threshold are uncertain (--review)
    near_miss: float = 0.7  # rule-based levels: unmatched pairs scoring at least this are kept for --explain
    model: LinkageModel | None = None  # fuzzy: weights learned once for a whole list (else learned from the rows given)
    labels: pl.DataFrame | None = None  # fuzzy: reviewed pairs (left_ref, right_ref, label: bool) -> forced and learned from
    review: bool = False  # fuzzy: collect the uncertain pairs for a person to label (DedupeResult.review)
    # fuzzy: two different full birth dates are two people (True), only evidence against (False),
    # or, None, decided by the list (model.birth_dates_reliable)
    strict_birth_dates: bool | None = None


@dataclass
class DedupeReport:
    rows_in: int = 0
    rows_out: int = 0
    merged_rows: int = 0  # rows folded into another row's golden record
    clusters_merged: int = 0  # golden records made of two or more rows
    largest_cluster: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)  # matched pairs by rule
    shared_addresses: int = 0  # pairs with one address but different given names, kept apart
    pairs_compared: int = 0
    guarded_rows: int = 0  # rows in components rebuilt by the chaining guard
    blocking: BlockingReport = field(default_factory=BlockingReport)
    matched_existing: int = 0  # --against: new rows that joined a master cluster
    new_clusters: int = 0  # --against: clusters made only of new rows
    model: LinkageModel | None = None  # fuzzy: the weights the pairs were scored with

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "merged_rows": self.merged_rows,
            "clusters_merged": self.clusters_merged,
            "largest_cluster": self.largest_cluster,
            "matches_by_rule": self.by_rule,
            "shared_addresses_kept_apart": self.shared_addresses,
            "pairs_compared": self.pairs_compared,
            "chain_guard_rows": self.guarded_rows,
            "blocks_too_large": self.blocking.skipped_blocks,
            "matched_existing": self.matched_existing,
            "new_clusters": self.new_clusters,
            "model": self.model.as_dict() if self.model is not None else None,
        }


@dataclass
class DedupeResult:
    frame: pl.DataFrame  # golden records, in the input's order of survivors
    clusters: pl.DataFrame  # _source_file, _source_row -> cluster_id, is_survivor
    pairs: pl.DataFrame  # every scored candidate pair (EXPLAIN_COLUMNS)
    report: DedupeReport
    first_rows: pl.Series | None = None  # each golden record's first input row (its place in the output)
    review: pl.DataFrame | None = None  # options.review: the uncertain pairs (review.review_pairs)


def _rules_for(match: str) -> tuple[str, ...]:
    return {"exact": ("same_address",), "canonical": ("same_address", "same_phone_and_name")}.get(match, tuple(RULES))


def _score(
    features: pl.DataFrame,
    options: DedupeOptions,
    report: DedupeReport,
    skip_pairs: pl.Expr | None = None,
    too_large: dict[str, pl.DataFrame] | None = None,
    labelled: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Scored candidate pairs: every match, shared inbox and near miss (every pair with keep_all_pairs).

    `labelled` (left, right, label) are pairs a person decided: compared whether or not a key
    proposed them, learned from, and decided as labelled.
    """
    import polars as pl

    pairs, report.blocking = candidate_pairs(features, keys_for(options.match), options.max_block, too_large)
    if options.match == "fuzzy":
        pairs = _with_labelled(pairs, labelled)
    if skip_pairs is not None:  # (labelled pairs too: two master rows are never re-matched)
        pairs = pairs.filter(~skip_pairs)
    report.pairs_compared = pairs.height
    if options.match == "fuzzy":
        return score_probabilistic(features, pairs, options, report, labelled)
    from listclean.linkage.comparisons import PairScorer

    allowed = list(_rules_for(options.match))
    kept: list[pl.DataFrame] = []
    scorer = PairScorer(features)  # the features' values coded once for every chunk of pairs
    for start in range(0, max(pairs.height, 1), PAIR_CHUNK):
        scored = score_pairs(pairs.slice(start, PAIR_CHUNK), features, options.settings, scorer)
        if options.match == "exact":
            # Exact: one address as written (case aside), nothing provider-specific.
            exact = (pl.col("rule") == "same_address") & pl.col("exact_address")
            scored = scored.with_columns(
                exact.alias("matched"),
                pl.when(exact | (pl.col("rule") != "same_address")).then(pl.col("rule")).otherwise(pl.lit("no_rule")).alias("rule"),
            )
        scored = scored.with_columns((pl.col("matched") & pl.col("rule").is_in(allowed)).alias("matched"))
        scored = scored.with_columns(pl.col("rule").is_in(list(STRONG_RULES)).alias("strong"), pl.col("score").alias("probability"))
        if not options.keep_all_pairs:
            scored = scored.filter(pl.col("matched") | (pl.col("rule") == "shared_address") | (pl.col("score") >= options.near_miss))
        kept.append(scored)
    return pl.concat(kept)


def score_probabilistic(
    features: pl.DataFrame, pairs: pl.DataFrame, options: DedupeOptions, report: DedupeReport, labelled: pl.DataFrame | None
) -> pl.DataFrame:
    """Fellegi-Sunter: every pair's comparison levels, the model (given, or learned from these
    pairs and rows), each pair's match probability, and the decision with its hard rules."""
    import polars as pl

    from listclean.linkage.model import score

    compared = _compared(pairs, features, options)
    labels = _labels_of(compared, labelled)
    model = options.model
    if model is None:
        from listclean.linkage.training import learn

        model = learn(features, compared, labels, options.settings)
    report.model = model
    scored = score(compared, model)
    if labels is not None:
        scored = scored.with_columns(labels.alias("__label"))
    else:
        scored = scored.with_columns(pl.lit(None, dtype=pl.Boolean).alias("__label"))
    col = pl.col
    # One address is one person unless a second person plainly shares it: given names that
    # disagree (or a second phone and a given name not quite the same), and neither the birth
    # date nor the phone agreeing.
    shared_inbox = (
        col("same_email") & (col("first_conflict") | ((col("phone_level") == 1) & col("first_level").is_between(1, 3))) & ~col("same_dob") & (col("phone_level") != 3)
    )
    likely = col("probability") >= options.threshold
    rule = (
        pl.when(col("__label") == True).then(pl.lit("labelled_match"))  # noqa: E712
        .when(col("__label") == False).then(pl.lit("labelled_non_match"))  # noqa: E712
        .when(col("dob_conflict") & (col("same_email") | likely) & pl.lit(_strict_birth_dates(options, model))).then(pl.lit("different_birth_dates"))
        .when(shared_inbox).then(pl.lit("shared_address"))
        .when(col("same_email")).then(pl.lit("same_address"))
        .when(likely).then(pl.lit("probabilistic"))
        .otherwise(pl.lit("no_rule"))
    )
    scored = scored.with_columns(rule.alias("rule")).with_columns(
        col("rule").is_in(["labelled_match", "same_address", "probabilistic"]).alias("matched"),
        col("probability").alias("score"),
    )
    # Strong evidence, which does not chain by accident: one address, one phone or one birth date.
    scored = scored.with_columns(
        (col("matched") & (col("same_email") | (col("phone_level") == 3) | col("same_dob") | (col("rule") == "labelled_match"))).alias("strong")
    )
    if not options.keep_all_pairs:
        scored = scored.filter(col("matched") | col("rule").is_in(["shared_address", "labelled_non_match", "different_birth_dates"]) | (col("probability") >= options.review_threshold))
    return scored.drop("__label")


def _strict_birth_dates(options: DedupeOptions, model: LinkageModel) -> bool:
    """Whether two different birth dates keep two records apart: as asked, else (auto) when the
    list's birth dates are reliable — its own duplicates rarely disagree on them."""
    return model.birth_dates_reliable() if options.strict_birth_dates is None else options.strict_birth_dates


def _agreements() -> list[pl.Expr]:
    """Each comparison's level in words (`<name>_agreement`; null where there was no evidence)."""
    import polars as pl

    return [
        pl.col(f"{c.name}_level").replace_strict(list(range(c.top + 1)), [None, *c.levels], default=None, return_dtype=pl.String).alias(f"{c.name}_agreement")
        for c in COMPARISONS
    ]


def _waterfall(short: bool) -> pl.Expr:
    """A probabilistic pair in words: its probability and each comparison's agreement with its
    weight in bits (short: only the agreeing ones, without weights)."""
    import polars as pl

    parts = []
    for c in COMPARISONS:
        weight, agreement = pl.col(f"{c.name}_weight"), pl.col(f"{c.name}_agreement")
        signed = pl.when(weight >= 0).then(pl.lit("+")).otherwise(pl.lit("−"))
        text = pl.concat_str(pl.lit(f"{c.label} "), agreement) if short else pl.concat_str(
            pl.lit(f"{c.label} "), agreement, pl.lit(" ("), signed, weight.abs().round(1).cast(pl.String), pl.lit(")")
        )
        keep = (weight > 0) if short else (weight != 0)
        parts.append(pl.when(keep & agreement.is_not_null()).then(text))
    probability = pl.col("probability").round(3).cast(pl.String)
    return pl.concat_str(pl.lit("match probability "), probability, pl.lit(": "), pl.concat_str(parts, separator=", ", ignore_nulls=True))


# The probabilistic engine's decisions, in words (the rule-based ones are compare.RULES / NOT_MATCHED).
PROBABILISTIC = {
    "probabilistic": "likely one person by the weights learned from the list",
    "labelled_match": "marked as one person in --labels",
}
PROBABILISTIC_APART = {
    "labelled_non_match": "marked as two people in --labels: kept apart",
    "different_birth_dates": "two different birth dates: kept apart",
}
DECISIONS = {**RULES, **PROBABILISTIC}
APART = {**NOT_MATCHED, **PROBABILISTIC_APART}


def _edge_reasons() -> pl.Expr:
    """Plain words for each scored pair."""
    import polars as pl

    words = pl.col("rule").replace_strict({**DECISIONS, **APART}, default=pl.col("rule"), return_dtype=pl.String)
    # The provider rules that made two addresses one, each named once (an address that needed none adds nothing).
    normalised = pl.col("rules_used").str.split(",").list.eval(pl.element().filter(pl.element() != "")).list.unique().list.sort().list.join(", ")
    probabilistic = pl.col("match_weight").is_not_null()
    return (
        pl.when((pl.col("rule") == "same_address") & ~pl.col("exact_address") & (normalised.str.len_bytes() > 0))
        .then(pl.concat_str(pl.lit("same address once normalised ("), normalised, pl.lit(")")))
        .when(pl.col("rule").is_in(["same_phone_and_name", "address_typo_and_name"]))
        .then(pl.concat_str(words, pl.lit(" ("), pl.col("name_score").round(2).cast(pl.String), pl.lit(")")))
        .when(pl.col("rule").is_in(["probabilistic", "no_rule", "labelled_match", "labelled_non_match", "different_birth_dates"]) & probabilistic)
        .then(pl.concat_str(words, pl.lit(" — "), _waterfall(short=False)))
        .otherwise(words)
    )


def _merge_words() -> pl.Expr:
    """What a matched pair adds to its golden record's merge_reason: the rule in words, a
    probabilistic match by its probability and what agreed (the weights are in --explain)."""
    import polars as pl

    return pl.when(pl.col("rule") == "probabilistic").then(_waterfall(short=True)).otherwise(_edge_reasons())


def _explained(scored: pl.DataFrame, features: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """The scored pairs as --explain writes them (EXPLAIN_COLUMNS), with `merge_words`."""
    import polars as pl

    refs = features.select(
        pl.col("__ref").str.extract(r"^(.*):[^:]*$", 1).alias("file"), pl.col("__ref").str.extract(r":([^:]*)$", 1).alias("row")
    )
    left, right = refs[scored["left"]], refs[scored["right"]]
    # The rule-based levels have no comparison levels or weights: those columns stay empty.
    missing = {
        **{f"{c.name}_level": pl.UInt8 for c in COMPARISONS},
        **{f"{c.name}_weight": pl.Float64 for c in COMPARISONS},
        "match_weight": pl.Float64,
        "name_score": pl.Float64,
        "exact_address": pl.Boolean,
        "rules_used": pl.String,
    }
    scored = scored.with_columns(pl.lit(None, dtype=dtype).alias(name) for name, dtype in missing.items() if name not in scored.columns)
    scored = scored.with_columns(_agreements())
    return scored.with_columns(
        cluster_id=pl.when(pl.col("matched")).then(ids.gather(scored["left"])),
        left_file=left["file"],
        left_row=left["row"].cast(pl.Int64, strict=False),
        right_file=right["file"],
        right_row=right["row"].cast(pl.Int64, strict=False),
        reason=_edge_reasons(),
        merge_words=_merge_words(),
    ).select(*EXPLAIN_COLUMNS, "merge_words").with_columns(pl.col(pl.Float32, pl.Float64).cast(pl.Float64).round(4))


IDENTICAL = "duplicate rows with the same details"


def _cluster_reasons(explained: pl.DataFrame, identical: pl.DataFrame | None = None) -> pl.DataFrame:
    """cluster_id -> merge_reason: what joined its rows, in words, with how many times."""
    import polars as pl

    matched = explained.filter(pl.col("matched"))
    counted = matched.group_by("cluster_id", pl.col("merge_words").alias("reason")).len().cast({"len": pl.UInt32})
    if identical is not None and identical.height:
        copies = identical.select("cluster_id", pl.lit(IDENTICAL).alias("reason"), pl.col("identical").cast(pl.UInt32).alias("len"))
        counted = pl.concat([counted, copies])
    counted = counted.with_columns(
        pl.when(pl.col("len") > 1).then(pl.concat_str(pl.col("reason"), pl.lit(" ×"), pl.col("len").cast(pl.String))).otherwise(pl.col("reason")).alias("text")
    )
    return counted.group_by("cluster_id").agg(pl.col("text").sort().str.join("; ").alias("merge_reason"))


def row_identity(features: pl.DataFrame) -> pl.Series:
    """What a row's cluster id is made from: its first identity key (blocking.BLOCKING_KEYS: its
    canonical address, else its phone), else its place."""
    return features.select(identity_expression()).to_series()


def _assemble(
    frame: pl.DataFrame, features: pl.DataFrame, ids: pl.Series, explained: pl.DataFrame, options: DedupeOptions, identical: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Golden records (input order of each cluster's first row) and the row -> cluster map."""
    import polars as pl

    work = frame.drop([c for c in ADDED if c in frame.columns]).with_columns(
        features["__id"], features["__ref"], features["email_canonical"], ids.alias("cluster_id")
    )
    work = work.with_columns(rank_rows(work, options.survivorship).alias("__rank"))
    sizes = work.group_by("cluster_id").agg(pl.len().alias("__size"), pl.col("__id").min().alias("__first"))
    work = work.join(sizes, on="cluster_id", how="left", maintain_order="left")
    survivor = work.group_by("cluster_id").agg(pl.col("__id").sort_by("__rank").first().alias("__survivor"))
    work = work.join(survivor, on="cluster_id", how="left", maintain_order="left")

    clusters = work.select(
        "_source_file", "_source_row", "cluster_id", (pl.col("__id") == pl.col("__survivor")).alias("is_survivor")
    )
    singles = work.filter(pl.col("__size") == 1).with_columns(
        pl.lit(1, dtype=pl.Int64).alias("merged_rows"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("merged_from"),
        pl.lit(None, dtype=pl.String).alias("merge_reason"),
        pl.lit(None, dtype=pl.String).alias("field_sources"),
    )
    merged = golden_records(work.filter(pl.col("__size") > 1), _cluster_reasons(explained, identical))
    order = work.select("cluster_id", "__first").unique("cluster_id")
    merged = merged.join(order, on="cluster_id", how="left")
    keep = [c for c in work.columns if not c.startswith("__")] + ["merged_rows", "merged_from", "merge_reason", "field_sources", "__first"]
    golden = pl.concat([singles.select(keep), merged.select(keep)], how="vertical_relaxed").sort("__first")
    columns = schema.column_order([c for c in golden.columns if c != "__first"])
    return golden.select(*columns, pl.col("__first").alias(FIRST_ROW)), clusters


def dedupe(
    frame: pl.DataFrame, options: DedupeOptions | None = None, master: pl.DataFrame | None = None, too_large: dict[str, pl.DataFrame] | None = None
) -> DedupeResult:
    """Golden records of the frame (or, with `master`, the master updated with the frame's rows).

    `too_large`: key values whose blocks are too large in a wider list that `frame` is a part
    of (see blocking.candidate_pairs).
    """
    options = options or DedupeOptions()
    if master is not None:
        return _against_master(frame, master, options)
    report = DedupeReport(rows_in=frame.height)
    if options.match == "fuzzy" and options.model is None and frame.height > TRAINING_ROWS:
        options = replace(options, model=learn_model(training_rows([frame], frame.height), options))
    features = prepare(frame, options.match)
    representatives, representative_of = fold_representatives(features, options.match)
    labelled = labelled_pairs(options.labels, features["__ref"], representative_of)
    # From here on only these per-row columns are needed (survivorship's address and what the
    # rows' identities are made of); dropping the rest frees most of the memory.
    features = features.select(list(dict.fromkeys(["__id", "__ref", "email_canonical", *identity_expression().meta.root_names()])))
    scored = _score(representatives, options, report, too_large=too_large, labelled=labelled)
    labels, report.guarded_rows = guarded_components(scored, representatives.height, options.max_cluster)
    strict = options.match == "fuzzy" and report.model is not None and _strict_birth_dates(options, report.model)
    labels, _ = kept_apart(scored, labels, representatives["__dob"] if strict else None)
    ids = cluster_ids(labels.gather(representative_of), row_identity(features), features["__ref"])
    explained = _explained(scored, representatives, ids.gather(representatives["__row"]))
    identical = _identical_rows(ids, representative_of)
    golden, clusters = _assemble(frame, features, ids, explained, options, identical)
    first_rows = golden[FIRST_ROW]
    golden = golden.drop(FIRST_ROW)
    _count(report, explained, golden, report.rows_in, golden.height, golden["merged_rows"].max())
    review = _review(explained, frame, options)
    return DedupeResult(golden, clusters, explained.drop("merge_words"), report, first_rows, review)


def _review(explained: pl.DataFrame, frame: pl.DataFrame, options: DedupeOptions) -> pl.DataFrame | None:
    from listclean.linkage.review import review_pairs

    return review_pairs(explained, frame, options.review_threshold, options.threshold) if options.review and options.match == "fuzzy" else None


def learn_model(frame: pl.DataFrame, options: DedupeOptions) -> LinkageModel:
    """The fuzzy model of a list (or of its training sample): learned from its rows and candidate
    pairs exactly as dedupe learns it when given the list in one piece."""
    from listclean.linkage.training import learn

    features = prepare(frame)
    representatives, representative_of = fold_representatives(features, options.match)
    labelled = labelled_pairs(options.labels, features["__ref"], representative_of)
    pairs, _ = candidate_pairs(representatives, keys_for(options.match), options.max_block)
    compared = _compared(_with_labelled(pairs, labelled), representatives, options)
    return learn(representatives, compared, _labels_of(compared, labelled), options.settings)


def _with_labelled(pairs: pl.DataFrame, labelled: pl.DataFrame | None) -> pl.DataFrame:
    """The candidate pairs and the labelled pairs no key proposed (key "label"): a person's
    answer is compared and learned from whether or not blocking found the pair."""
    import polars as pl

    if labelled is None or labelled.height == 0:
        return pairs
    return pl.concat([pairs, labelled.select("left", "right", pl.lit("label").alias("key")).join(pairs, on=["left", "right"], how="anti")])


def _labels_of(compared: pl.DataFrame, labelled: pl.DataFrame | None) -> pl.Series | None:
    """Per compared pair, its label (1.0 one person, 0.0 two) or null; None without labels."""
    if labelled is None or labelled.height == 0:
        return None
    return compared.select("left", "right").join(labelled, on=["left", "right"], how="left", maintain_order="left")["label"]


def _compared(pairs: pl.DataFrame, features: pl.DataFrame, options: DedupeOptions) -> pl.DataFrame:
    """Every pair's comparison levels (comparisons.compare), a chunk of pairs at a time."""
    import polars as pl

    from listclean.linkage.comparisons import PairScorer, compare

    scorer = PairScorer(features)  # the features' values coded once for every chunk of pairs
    return pl.concat([compare(pairs.slice(start, PAIR_CHUNK), features, options.settings, scorer) for start in range(0, max(pairs.height, 1), PAIR_CHUNK)])


def labelled_pairs(labels: pl.DataFrame | None, refs: pl.Series, representative_of: pl.Series) -> pl.DataFrame | None:
    """Reviewed pairs (left_ref, right_ref, label) as pairs of representatives (left, right,
    label: 1.0 one person, 0.0 two), left < right; pairs whose rows are not both here, or that
    fold into one representative, are left out."""
    import polars as pl

    if labels is None or labels.height == 0:
        return None
    table = pl.DataFrame({"ref": refs, "rep": representative_of})
    joined = (
        labels.join(table.rename({"ref": "left_ref", "rep": "a"}), on="left_ref", how="inner")
        .join(table.rename({"ref": "right_ref", "rep": "b"}), on="right_ref", how="inner")
        .filter(pl.col("a") != pl.col("b"))
    )
    return joined.select(
        pl.min_horizontal("a", "b").alias("left"), pl.max_horizontal("a", "b").alias("right"), pl.col("label").cast(pl.Float64)
    ).unique(["left", "right"], keep="last", maintain_order=True)


def fold_representatives(features: pl.DataFrame, match: str, signature: pl.Series | None = None) -> tuple[pl.DataFrame, pl.Series]:
    """One row per distinct set of comparison features, and each row's representative
    (`signature`: the rows' fold_signature, if known).

    Rows whose every compared field is identical are the same person by any rule (a list
    exported twice, a form submitted again), so only one of them needs comparing: exact
    copies cost nothing however many there are. Only rows with an address (or, beyond
    --match exact, a phone and a surname) are collapsed: rows with nothing to compare are
    never merged just for being empty alike.
    """
    import polars as pl

    identified = _identified(match)
    # A 64-bit hash of the compared fields stands for them (no copy of every field); the address and
    # phone are grouped on too, so a hash collision could only join rows that share both anyway.
    keyed = features.select(
        "__id",
        (fold_signature(features, match) if signature is None else pl.lit(signature)).alias("__signature"),
        pl.when(identified).then(pl.col("email_canonical")).alias("__address"),
        pl.when(identified).then(pl.col("__phone")).alias("__number"),
        identified.alias("__identified"),
    )
    keys = ["__signature", "__address", "__number", "__identified"]
    first = keyed.group_by(keys).agg(pl.col("__id").min().alias("__first"))
    row_to_first = keyed.join(first, on=keys, how="left", maintain_order="left", nulls_equal=True)["__first"]
    firsts = row_to_first.unique().sort()
    representatives = features[firsts].with_columns(pl.col("__id").alias("__row"), pl.int_range(pl.len(), dtype=pl.UInt32).alias("__id"))
    index = pl.DataFrame({"__first": firsts, "__rep": pl.int_range(firsts.len(), dtype=pl.UInt32, eager=True)})
    representative_of = row_to_first.to_frame().join(index, on="__first", how="left", maintain_order="left")["__rep"]
    return representatives, representative_of


def _identified(match: str) -> pl.Expr:
    """Rows with something to compare: an address (or, beyond --match exact, a phone and a surname)."""
    import polars as pl

    identified = pl.col("email_canonical").is_not_null()
    if match != "exact":
        identified = identified | (pl.col("__phone").is_not_null() & pl.col("__last").is_not_null())
    return identified


def fold_signature(features: pl.DataFrame, match: str) -> pl.Expr:
    """A 64-bit stand-in for a row's compared fields: rows that share it (and their address and
    phone) fold into one representative; a row with nothing to compare has its own (its __id)."""
    import polars as pl

    compared = [c for c in features.columns if c not in ("__id", "__ref", "email_canonical_rules")]
    return pl.when(_identified(match)).then(pl.struct(compared).hash(seed=0)).otherwise(pl.col("__id").cast(pl.UInt64))


def _identical_rows(ids: pl.Series, representative_of: pl.Series) -> pl.DataFrame:
    """cluster_id -> how many of its rows were folded into an identical row before comparing."""
    import polars as pl

    frame = pl.DataFrame({"cluster_id": ids, "rep": representative_of})
    return frame.group_by("cluster_id").agg((pl.len() - pl.col("rep").n_unique()).alias("identical")).filter(pl.col("identical") > 0)


def _count(report: DedupeReport, explained: pl.DataFrame, merged: pl.DataFrame, rows_total: int, rows_out: int, largest: Any) -> None:
    """The report's counts: `merged` holds the golden records this run made; the output has
    `rows_out` rows, the largest made of `largest` input rows (None: no row)."""
    import polars as pl

    report.rows_out = rows_out
    report.merged_rows = rows_total - rows_out
    report.clusters_merged = int((merged["merged_rows"] > 1).sum())
    report.largest_cluster = int(largest or 0)
    matched = explained.filter(pl.col("matched")).group_by("rule").len().sort(["len", "rule"], descending=[True, False])
    report.by_rule = dict(matched.iter_rows())
    report.shared_addresses = int((explained["rule"] == "shared_address").sum())


@dataclass
class MasterMatch:
    """New rows matched to (part of) a master: what changes, and what stays as it was."""

    golden: pl.DataFrame  # re-merged master clusters and new clusters, in order
    clusters: pl.DataFrame  # rows in play -> cluster_id, is_survivor
    explained: pl.DataFrame  # every scored pair that holds a new row
    report: DedupeReport  # rows_out, merged_rows, largest_cluster: left for the caller (see count_against)
    touched: pl.Series  # cluster ids the new rows are in: master rows with these ids were re-merged
    review: pl.DataFrame | None = None  # options.review: the uncertain pairs that hold a new row


def _against_master(frame: pl.DataFrame, master: pl.DataFrame, options: DedupeOptions) -> DedupeResult:
    """The new rows matched to the whole master in memory (see match_to_master)."""
    import polars as pl

    if "cluster_id" not in master.columns:
        raise ValueError("the master has no cluster_id column")
    if options.match == "fuzzy" and options.model is None:
        # Learned from the master and the new rows as one list, as the streamed master does.
        options = replace(options, model=learn_model(against_training_rows([master], frame, master.height + frame.height), options))
    match = match_to_master(frame, master, options)
    untouched = master.filter(~master["cluster_id"].cast(pl.String).is_in(match.touched.implode()))
    out = pl.concat([untouched, match.golden], how="diagonal_relaxed")
    out = out.select(schema.column_order(out.columns))
    count_against(match, frame.height + master.height, out.height, out["merged_rows"].max())
    return DedupeResult(out, match.clusters, match.explained, match.report, review=match.review)


def count_against(match: MasterMatch, rows_total: int, rows_out: int, largest: Any) -> None:
    """The report's counts once the output is known: `rows_total` rows in (new and master),
    `rows_out` out, the largest golden record made of `largest` input rows."""
    _count(match.report, match.explained, match.golden, rows_total, rows_out, largest)


def match_to_master(frame: pl.DataFrame, master: pl.DataFrame, options: DedupeOptions, too_large: dict[str, pl.DataFrame] | None = None) -> MasterMatch:
    """New rows matched to an existing master's clusters; the master is not re-clustered.

    A new row that matches master rows joins the cluster of its best-scoring master match.
    New rows that match only each other form clusters among themselves, and such a cluster
    joins a master cluster when one of its rows did. Master clusters are never merged with
    one another, and master rows untouched by new rows stay as they are (the caller keeps
    them: every master row whose cluster id is not in `touched`). `too_large`: see
    blocking.candidate_pairs (`master` may be the part of a larger one that matters).
    """
    import polars as pl

    report = DedupeReport(rows_in=frame.height)
    master_rows = master.height
    # Master rows come first, so a row id below master_rows is a master row (and left < right in every pair).
    combined = pl.concat([master, frame], how="diagonal_relaxed")
    features = prepare(combined, options.match)
    is_master = pl.col("left") < master_rows
    labelled = labelled_pairs(options.labels, features["__ref"], pl.Series(range(combined.height), dtype=pl.UInt32))
    scored = _score(features, options, report, skip_pairs=(pl.col("right") < master_rows), too_large=too_large, labelled=labelled)
    matched = scored.filter(pl.col("matched"))

    master_ids = combined["cluster_id"].cast(pl.String)
    # 1. New rows with a master match take the master cluster of their best match.
    to_master = matched.filter(is_master).sort(["right", "score", "left"], descending=[False, True, False]).unique("right", keep="first", maintain_order=True)
    adopted = to_master.select(pl.col("right").alias("id"), master_ids.gather(to_master["left"]).alias("adopted"))
    # 2. New-only components; a component with an adopted row follows it.
    new_edges = matched.filter(~is_master)
    labels, _ = kept_apart(scored.filter(~is_master), components(new_edges, combined.height))
    table = pl.DataFrame({"id": pl.int_range(combined.height, dtype=pl.UInt32, eager=True), "label": labels}).join(adopted, on="id", how="left", maintain_order="left")
    follow = table.filter(pl.col("adopted").is_not_null()).sort("id").group_by("label", maintain_order=True).agg(pl.col("adopted").first().alias("component_adopted"))
    table = table.join(follow, on="label", how="left", maintain_order="left")
    fresh = cluster_ids(labels, row_identity(features), features["__ref"])
    ids = pl.select(
        pl.when(pl.int_range(combined.height) < master_rows)
        .then(master_ids)
        .otherwise(pl.coalesce(table["adopted"], table["component_adopted"], fresh))
    ).to_series().alias("cluster_id")
    explained = _explained(scored, features, ids)

    new_part = ids[master_rows:]
    touched = new_part.unique()
    existing = new_part.is_in(master_ids[:master_rows].implode())
    report.matched_existing = int(existing.sum())
    report.new_clusters = int(new_part.filter(~existing).n_unique())
    in_play = ids.is_in(touched.implode())
    # Master golden rows keep their merge history: their own rows stay listed in merged_from.
    history = combined.select(
        pl.coalesce(pl.col("merged_from"), pl.concat_list(features["__ref"])) if "merged_from" in combined.columns else pl.concat_list(features["__ref"])
    ).to_series()
    work_frame = combined.filter(in_play)
    work_features = features.filter(in_play).with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("__id"))
    work_ids = ids.filter(in_play)
    work_explained = explained.filter(pl.col("matched") & pl.col("cluster_id").is_in(touched.implode()))
    golden, clusters = _assemble(work_frame, work_features, work_ids, work_explained, options)
    golden = golden.drop(FIRST_ROW)
    prior = pl.DataFrame({"cluster_id": ids.filter(in_play), "__history": history.filter(in_play)}).explode("__history")
    histories = prior.group_by("cluster_id").agg(pl.col("__history").drop_nulls().unique().sort().alias("__all"))
    golden = golden.join(histories, on="cluster_id", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("__all").list.len() > 1).then(pl.col("__all")).alias("merged_from"),
        pl.col("__all").list.len().cast(pl.Int64).alias("merged_rows"),
    ).drop("__all")
    return MasterMatch(golden, clusters, explained.drop("merge_words"), report, touched, _review(explained, combined, options))
