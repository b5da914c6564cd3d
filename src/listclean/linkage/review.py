"""Uncertain pairs for a person to decide, and their answers read back.

``--review FILE`` writes every pair whose match probability falls in the uncertain band
(``--review-threshold`` up to ``--threshold``) and that no hard rule decided: both rows' fields
side by side, the probability, the weights in words, and an empty ``label`` column. A person
writes ``match`` or ``no match`` (also yes/no, y/n, 1/0, true/false, same/different) in
``label`` and passes the file back with ``--labels FILE``. A labelled pair is then decided as
labelled — a match joins the two rows' clusters, a non-match keeps them apart — and the labels
also teach the model: during the estimation of the weights a labelled pair counts as one person
or two with certainty, so one session of review improves every similar pair, not only those.
Rows are named by ``_source_file`` and ``_source_row``, so the labels stay valid on the next
run of the same files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listclean.errors import InputError

if TYPE_CHECKING:
    import polars as pl

    from listclean.io.read import Workspace

# The fields a person needs to decide, shown left and right, where the list has them.
REVIEW_FIELDS = (
    "email", "first_name", "last_name", "full_name", "birth_date", "birth_year", "phone", "company",
    "address_line1", "address_line2", "postal_code", "city", "region", "country",
)  # fmt: skip
REF_COLUMNS = ("left_file", "left_row", "right_file", "right_row")
YES = frozenset({"match", "yes", "y", "1", "true", "t", "same", "one person", "x", "✓"})
NO = frozenset({"no match", "non-match", "nonmatch", "not a match", "no", "n", "0", "false", "f", "different", "two people", "distinct"})


def review_pairs(explained: pl.DataFrame, frame: pl.DataFrame, low: float, high: float) -> pl.DataFrame:
    """The uncertain pairs of `explained` (engine.EXPLAIN_COLUMNS) as the review file shows them:
    refs, probability, an empty label, both rows' fields (from `frame`, by _source_file and
    _source_row) and the reason in words."""
    import polars as pl

    uncertain = explained.filter((pl.col("rule") == "no_rule") & (pl.col("probability") >= low) & (pl.col("probability") < high))
    fields = [name for name in REVIEW_FIELDS if name in frame.columns]
    rows = frame.select(pl.col("_source_file").cast(pl.String), pl.col("_source_row").cast(pl.Int64), *(pl.col(name).cast(pl.String) for name in fields))
    rows = rows.unique(["_source_file", "_source_row"], keep="first", maintain_order=True)  # a file given twice names its rows twice
    for side in ("left", "right"):
        named = rows.rename({"_source_file": f"{side}_file", "_source_row": f"{side}_row", **{name: f"{side}_{name}" for name in fields}})
        uncertain = uncertain.join(named, on=[f"{side}_file", f"{side}_row"], how="left", maintain_order="left")
    sides = [f"{side}_{name}" for name in fields for side in ("left", "right")]
    return uncertain.select(*REF_COLUMNS, pl.col("probability").round(4), pl.lit(None, dtype=pl.String).alias("label"), *sides, "reason")


def load_labels(path: str, workspace: Workspace) -> pl.DataFrame:
    """A reviewed file's labelled pairs: left_ref, right_ref ("file:row", as dedupe names rows)
    and label (True: one person). Unlabelled rows are skipped; a label that is neither a yes nor
    a no is an error naming the file and line."""
    import polars as pl

    from listclean.io.read import ReadOptions, read_source

    source = read_source(path, ReadOptions(), workspace)
    missing = [name for name in (*REF_COLUMNS, "label") if name not in source.header]
    if missing:
        raise InputError(
            f"has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}",
            source=source.name,
            hint="--labels takes the file --review wrote, with its label column filled in",
        )
    frame = source.frame.select(*(pl.col(name).cast(pl.String) for name in (*REF_COLUMNS, "label"))).collect()
    words = frame["label"].str.strip_chars().str.to_lowercase()
    labelled = words.is_not_null() & (words != "")
    unknown = (labelled & ~words.is_in(sorted(YES | NO))).arg_true()
    if unknown.len():
        row = int(unknown[0])
        raise InputError(
            f"label {frame['label'][row]!r} is neither a match nor a no match",
            source=source.name,
            line=row + 2,
            column="label",
            hint="write match or no match (yes/no, 1/0) in the label column, or leave it empty",
        )
    # The rows as --review named them: a file name the spreadsheet guard prefixed with ' is read
    # without it, a row number a spreadsheet turned into 609.0 as 609.
    files = [pl.col(f"{side}_file").str.strip_chars().str.replace(r"^'([=+\-@])", "$1") for side in ("left", "right")]
    rows = [pl.col(f"{side}_row").str.strip_chars().cast(pl.Float64, strict=False) for side in ("left", "right")]
    named = frame.with_columns(words.alias("label"), *(f.alias(f"{side}_file") for f, side in zip(files, ("left", "right"))),
                               *(r.alias(f"{side}_row") for r, side in zip(rows, ("left", "right"))))  # fmt: skip
    for column in REF_COLUMNS:
        bad = (labelled & (named[column].is_null() | ((named[column] == "") if column.endswith("file") else (named[column] % 1 != 0)))).arg_true()
        if bad.len():
            raise InputError(
                f"a labelled pair has no valid {column}",
                source=source.name,
                line=int(bad[0]) + 2,
                column=column,
                hint="keep the four columns --review wrote (file and row of both rows) for every labelled pair",
            )
    pairs = named.filter(labelled).select(
        pl.concat_str("left_file", pl.lit(":"), pl.col("left_row").cast(pl.Int64).cast(pl.String)).alias("left_ref"),
        pl.concat_str("right_file", pl.lit(":"), pl.col("right_row").cast(pl.Int64).cast(pl.String)).alias("right_ref"),
        pl.col("label").is_in(sorted(YES)).alias("label"),
    )
    # One pair, in either order, labelled both ways: a person must decide.
    keyed = pairs.with_columns(pl.min_horizontal("left_ref", "right_ref").alias("a"), pl.max_horizontal("left_ref", "right_ref").alias("b"))
    torn = keyed.group_by("a", "b").agg(pl.col("label").n_unique().alias("answers")).filter(pl.col("answers") > 1)
    if torn.height:
        raise InputError(
            f"the pair {torn['a'][0]} / {torn['b'][0]} is labelled both match and no match",
            source=source.name,
            column="label",
            hint="keep one answer per pair",
        )
    return keyed.unique(["a", "b"], keep="first", maintain_order=True).drop("a", "b")


def label_groups(labels: pl.DataFrame | None) -> pl.DataFrame | None:
    """ref -> a group id shared by rows that labelled matches join (for dedupe in parts: rows a
    person said are one must meet in one part)."""
    import polars as pl

    from listclean.linkage.cluster import components

    if labels is None:
        return None
    matches = labels.filter(pl.col("label"))
    if matches.height == 0:
        return None
    refs = pl.concat([matches["left_ref"], matches["right_ref"]]).unique().sort()
    index = {ref: number for number, ref in enumerate(refs.to_list())}
    edges = pl.DataFrame(
        {"left": [index[r] for r in matches["left_ref"].to_list()], "right": [index[r] for r in matches["right_ref"].to_list()]},
        schema={"left": pl.UInt32, "right": pl.UInt32},
    )
    groups = components(edges, refs.len())
    return pl.DataFrame({"ref": refs, "group": groups.cast(pl.String)})
