"""The Fellegi–Sunter model: match weights learned from the list being deduplicated.

For each comparison level (comparisons.py) the model holds two probabilities: *m*, how often
a pair of records of one person shows that level, and *u*, how often a pair of two different
people does. A pair's match weight is the log-likelihood ratio of what it shows, summed over
the comparisons, plus the prior log-odds that two records of the list are one person; its
match probability is ``2^w / (1 + 2^w)``. How the numbers are found, as Splink does it:

- **u from random pairs.** Two records drawn at random are almost always two people, so the
  share of random pairs at each level is its u (up to ``RANDOM_PAIRS`` pairs, drawn with a
  fixed seed: the same list gives the same model).
- **m by expectation–maximisation over the blocked pairs.** Each candidate pair is weighed by
  how likely it is one person under the current m; m is re-estimated from those weights until it
  settles. A pair is counted once per blocking key it shares (a session, as Splink trains one
  per blocking rule); the fields of that key (they agree by construction) are left out of its
  likelihood, and each session learns its own u for the other fields — people a block brings
  together look alike beyond the key (one surname, one country) — which is used only there.
- **term frequency.** Agreeing on a rare value weighs more than on a common one: the top
  level's u is the value's frequency in the list (Splink's term-frequency adjustment), for
  first and last names, postcodes and cities.
- **priors.** Every estimate is blended with a documented prior (``Comparison.m_prior`` /
  ``u_prior``, ``PRIOR_PAIRS`` pseudo-pairs; ``MATCH_PRIOR``), so a list of twenty rows gets
  sensible weights and a list of a million gets its own.
- **labels.** Pairs a person reviewed (``--labels``) keep their answer during the estimation.

The model is estimated once per run, on the whole list (or, past ``TRAINING_ROWS``, on a
fixed sample of it) and then applied to every part, so a list deduplicated in parts gets the
weights it gets in one piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from listclean.linkage.comparisons import BY_NAME, COMPARISONS, LEVEL_COLUMNS

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

RANDOM_PAIRS = 400_000  # random pairs drawn to estimate u
TRAINING_ROWS = 300_000  # past this, the model is estimated on a fixed sample of the list
PRIOR_PAIRS = 1_000.0  # pseudo-pairs each u estimate is blended with its prior by
PRIOR_MATCHES = 20.0  # pseudo-matches each m estimate is blended with its prior by
PRIOR_TERMS = 200.0  # pseudo-rows a value's frequency is blended with the level's u by
SESSION_PRIOR_PAIRS = 50.0  # pseudo-pairs a session's own u is blended with the list's u by
MATCH_PRIOR = 1e-4  # prior probability that two records of a list are one person
MATCH_PRIOR_PAIRS = 100_000.0  # pseudo-pairs that prior is blended with the list's estimate by
MAX_WEIGHT = 24.0  # no single field's weight exceeds this many bits either way
EM_ROUNDS = 40
# Birth dates count as reliable (--birth-dates auto: two different ones are two people) unless at
# least UNRELIABLE_PAIRS of one person's record pairs, and this share of them, disagree on them.
RELIABLE_BIRTH_DATES = 0.03
UNRELIABLE_PAIRS = 20
TF_COMPARISONS = tuple(c for c in COMPARISONS if c.tf)


@dataclass
class LinkageModel:
    m: dict[str, list[float]]  # comparison -> P(level | one person), levels 1..
    u: dict[str, list[float]]  # comparison -> P(level | two people), levels 1..
    prior: float  # P(two records of the list are one person)
    # comparison -> (value, frequency) for the term-frequency adjustment of its top level
    frequencies: dict[str, pl.DataFrame] = field(default_factory=dict)
    pairs_trained: int = 0  # candidate pairs the m estimates came from
    random_pairs: int = 0  # random pairs the u estimates came from
    rounds: int = 0  # expectation-maximisation rounds until the estimates settled
    # comparison -> per level, how many pairs taken for one person showed it (the evidence behind m)
    evidence: dict[str, list[float]] = field(default_factory=dict)

    def birth_dates_reliable(self) -> bool:
        """Whether the list's duplicates rarely disagree on a full birth date: then two different
        birth dates are two people. Unreliable takes evidence — at least UNRELIABLE_PAIRS pairs
        taken for one person that disagree, RELIABLE_BIRTH_DATES or more of those compared — so a
        father and son in a small list do not talk the list out of the rule that keeps them apart.
        A list whose birth dates are often wrong (typed by hand, replaced by defaults) only weighs
        them."""
        counts = self.evidence.get("birth_date") or [0.0]
        disagreeing, compared = counts[0], sum(counts)
        return not (disagreeing >= UNRELIABLE_PAIRS and disagreeing / compared >= RELIABLE_BIRTH_DATES)

    def weights(self) -> dict[str, list[float]]:
        """comparison -> log2(m/u) per level 1.. (neutral levels 0)."""
        out = {}
        for comparison in COMPARISONS:
            m, u = self.m[comparison.name], self.u[comparison.name]
            out[comparison.name] = [0.0 if level + 1 in comparison.neutral else _clamp(math.log2(m[level] / u[level])) for level in range(comparison.top)]
        return out

    def as_dict(self) -> dict[str, Any]:
        """What the summary reports: the prior and each level's m, u and weight."""
        weights = self.weights()
        return {
            "prior_match_probability": self.prior,
            "pairs_trained": self.pairs_trained,
            "random_pairs": self.random_pairs,
            "em_rounds": self.rounds,
            "birth_dates_reliable": self.birth_dates_reliable(),
            "comparisons": {
                comparison.name: {
                    level: {"m": round(self.m[comparison.name][i], 6), "u": self.u[comparison.name][i], "weight": round(weights[comparison.name][i], 2)}
                    for i, level in enumerate(comparison.levels)
                }
                for comparison in COMPARISONS
            },
        }


MODEL_FORMAT = "listclean.linkage-model/1"


def model_json(model: LinkageModel) -> str:
    """The model as a JSON document (--save-model): every level's m and u, the prior, the value
    frequencies, and what it was learned from. Reading it back (read_model) gives the same scores."""
    import json

    document = {
        "format": MODEL_FORMAT,
        "prior": model.prior,
        "m": model.m,
        "u": model.u,
        "evidence": model.evidence,
        "pairs_trained": model.pairs_trained,
        "random_pairs": model.random_pairs,
        "em_rounds": model.rounds,
        "frequencies": {name: {"values": table["value"].to_list(), "frequencies": table["frequency"].to_list()} for name, table in model.frequencies.items()},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def read_model(text: str) -> LinkageModel:
    """A model written by model_json; ValueError naming what is wrong."""
    import json

    import polars as pl

    document = json.loads(text)
    if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
        raise ValueError(f"not a listclean model (its format is not {MODEL_FORMAT!r})")
    for comparison in COMPARISONS:
        for table in ("m", "u"):
            levels = document[table].get(comparison.name)
            if not isinstance(levels, list) or len(levels) != comparison.top or not all(isinstance(p, (int, float)) and 0 < p <= 1 for p in levels):
                raise ValueError(f"{table} of {comparison.name!r} is not {comparison.top} probabilities (the model was written by another listclean version?)")
    frequencies = {
        name: pl.DataFrame({"value": table["values"], "frequency": table["frequencies"]}, schema={"value": pl.String, "frequency": pl.Float64})
        for name, table in document.get("frequencies", {}).items()
    }
    return LinkageModel(
        m=document["m"], u=document["u"], prior=float(document["prior"]), frequencies=frequencies,
        pairs_trained=int(document.get("pairs_trained", 0)), random_pairs=int(document.get("random_pairs", 0)),
        rounds=int(document.get("em_rounds", 0)), evidence=document.get("evidence", {}),
    )  # fmt: skip


def _clamp(weight: float) -> float:
    return max(-MAX_WEIGHT, min(MAX_WEIGHT, weight))


def _level_matrix(compared: pl.DataFrame) -> np.ndarray:
    import numpy as np

    return np.column_stack([compared[column].to_numpy() for column in LEVEL_COLUMNS]).astype(np.int64) if compared.height else np.zeros((0, len(LEVEL_COLUMNS)), dtype=np.int64)


def estimate_u(random_compared: pl.DataFrame, apart: np.ndarray | None = None) -> dict[str, list[float]]:
    """u per level from compared random pairs, blended with the prior. `apart`: per random pair,
    how likely it is two people (a small list's every pair includes its duplicates, which must
    not count as two people's agreement); default 1."""
    import numpy as np

    levels_matrix = _level_matrix(random_compared)
    weight = np.ones(len(levels_matrix)) if apart is None else apart
    u = {}
    for index, comparison in enumerate(COMPARISONS):
        column = levels_matrix[:, index]
        counts = [float(weight[column == level].sum()) for level in range(1, comparison.top + 1)]
        seen = sum(counts)
        u[comparison.name] = [(count + PRIOR_PAIRS * prior) / (seen + PRIOR_PAIRS) for count, prior in zip(counts, comparison.u_prior, strict=True)]
    return u


def estimate_m(
    compared: pl.DataFrame, u: dict[str, list[float]], masks: dict[str, tuple[str, ...]], labels: pl.Series | None, population_pairs: int
) -> tuple[dict[str, list[float]], float, int, dict[str, list[float]]]:
    """m per level, the prior match probability, the rounds it took and the evidence per level, by expectation-maximisation
    over the candidate pairs (`compared`, with each pair's blocking `key`; `masks`: key -> the
    comparisons it agrees on by construction, left out of that pair's likelihood). `labels`: per
    pair 1.0 (one person) or 0.0 (two) where a person said so, else null. `population_pairs`: how
    many pairs the whole list (or sample) holds, for the prior."""
    import numpy as np
    import polars as pl

    m = {c.name: list(c.m_prior) for c in COMPARISONS}
    if compared.height == 0:
        return m, MATCH_PRIOR, 0, {c.name: [0.0] * c.top for c in COMPARISONS}
    # EM runs on distinct (key, levels, label) patterns with their counts: a few thousand rows.
    masked = compared.select(
        "key",
        *(
            pl.when(pl.col("key").is_in([key for key, fields in masks.items() if c.name in fields])).then(pl.lit(0, dtype=pl.UInt8)).otherwise(pl.col(f"{c.name}_level")).alias(f"{c.name}_level")
            for c in COMPARISONS
        ),
        (labels if labels is not None else pl.lit(None, dtype=pl.Float64)).alias("__label"),
        (pl.col("__share") if "__share" in compared.columns else pl.lit(1.0)).alias("__share"),
        # Unmasked, for the evidence: a pair a birth-date key found still agrees on its birth date.
        pl.col("birth_date_level").alias("__birth_date_seen"),
    )
    grouping = [column for column in masked.columns if column != "__share"]
    patterns = masked.group_by(grouping).agg(pl.len(), pl.col("__share").sum()).sort(grouping, nulls_last=True)
    shares = patterns["__share"].to_numpy().astype(np.float64)
    levels = _level_matrix(patterns)
    counts = patterns["len"].to_numpy().astype(np.float64)
    label = patterns["__label"].to_numpy()
    labelled = ~np.isnan(label.astype(np.float64))
    keys = patterns["key"].to_numpy()
    key_names = sorted(set(keys.tolist()))
    key_index = np.array([key_names.index(k) for k in keys], dtype=np.int64)
    sessions = len(key_names)
    lam = np.full(sessions, 0.1)
    # Each session's own u: the people a block brings together are not random pairs (two people
    # sharing a surname share a country and a city more often than any two), and a fixed u would
    # push those look-alikes into the match class. m is one for all sessions: how one person's
    # records differ does not depend on the key that found them. The u learned here stays here;
    # pairs are scored with the list's u from random pairs.
    global_u = [np.array([1.0, *u[c.name]]) for c in COMPARISONS]
    session_u = [np.tile(table, (sessions, 1)) for table in global_u]
    rounds = 0
    for rounds in range(1, EM_ROUNDS + 1):  # noqa: B007
        log_m = [np.log(np.array([1.0, *m[c.name]])) for c in COMPARISONS]
        ratio = np.zeros(len(counts))
        for index, comparison in enumerate(COMPARISONS):
            column = levels[:, index]
            weight = log_m[index][column] - np.log(session_u[index][key_index, column])
            for neutral in (0, *comparison.neutral):
                weight[column == neutral] = 0.0
            ratio += weight
        odds = np.log(lam[key_index] / (1 - lam[key_index])) + ratio
        posterior = 1 / (1 + np.exp(-np.clip(odds, -700, 700)))
        posterior[labelled] = label[labelled]
        weighted = posterior * counts
        apart = (1 - posterior) * counts
        moved = 0.0
        for index, comparison in enumerate(COMPARISONS):
            column = levels[:, index]
            sums = np.array([weighted[column == level].sum() for level in range(1, comparison.top + 1)])
            new = ((sums + PRIOR_MATCHES * np.array(comparison.m_prior)) / (sums.sum() + PRIOR_MATCHES)).tolist()
            moved = max(moved, *(abs(a - b) for a, b in zip(new, m[comparison.name], strict=True)))
            m[comparison.name] = new
            for k in range(sessions):
                inside = key_index == k
                seen = np.array([apart[inside & (column == level)].sum() for level in range(1, comparison.top + 1)])
                session_u[index][k, 1:] = (seen + SESSION_PRIOR_PAIRS * global_u[index][1:]) / (seen.sum() + SESSION_PRIOR_PAIRS)
        lam = np.array([(weighted[key_index == k].sum() + 1) / (counts[key_index == k].sum() + 2) for k in range(sessions)])
        if moved < 1e-5:
            break
    # How many pairs taken for one person showed each level (each pair counted once, not once per
    # session): the evidence behind m, which LinkageModel.birth_dates_reliable weighs.
    once = posterior * shares
    evidence = {c.name: [float(once[levels[:, index] == level].sum()) for level in range(1, c.top + 1)] for index, c in enumerate(COMPARISONS)}
    seen = patterns["__birth_date_seen"].to_numpy()
    evidence["birth_date"] = [float(once[seen == level].sum()) for level in range(1, BY_NAME["birth_date"].top + 1)]
    expected = float((posterior * shares).sum())
    prior = (expected + MATCH_PRIOR_PAIRS * MATCH_PRIOR) / (population_pairs + MATCH_PRIOR_PAIRS)
    return m, min(prior, 0.5), rounds, evidence


def match_probabilities(compared: pl.DataFrame, m: dict[str, list[float]], u: dict[str, list[float]], prior: float) -> np.ndarray:
    """Each pair's match probability under m, u and the prior (no term-frequency adjustment)."""
    import numpy as np

    levels = _level_matrix(compared)
    odds = np.full(len(levels), math.log(prior / (1 - prior)))
    for index, comparison in enumerate(COMPARISONS):
        column = levels[:, index]
        weight = np.log(np.array([1.0, *m[comparison.name]])[column]) - np.log(np.array([1.0, *u[comparison.name]])[column])
        for neutral in comparison.neutral:
            weight[column == neutral] = 0.0
        odds += weight
    return 1 / (1 + np.exp(-np.clip(odds, -700, 700)))


def term_frequencies(features: pl.DataFrame, u: dict[str, list[float]]) -> dict[str, pl.DataFrame]:
    """comparison -> (value, frequency): each value's share of the rows, blended with the top
    level's u (a value seen once in a list of twenty is not known to be rare)."""
    import polars as pl

    rows = features.height
    out = {}
    for comparison in TF_COMPARISONS:
        top_u = u[comparison.name][-1]
        # Sorted by value: the saved model (--save-model) is the same file for the same list, run after run.
        counted = features.select(pl.col(comparison.tf).alias("value")).drop_nulls().group_by("value").len().sort("value")
        out[comparison.name] = counted.select("value", ((pl.col("len") + PRIOR_TERMS * top_u) / (rows + PRIOR_TERMS)).alias("frequency"))
    return out


def score(compared: pl.DataFrame, model: LinkageModel) -> pl.DataFrame:
    """`compared` with each comparison's weight (`<name>_weight`), the pair's `match_weight` and
    `probability`."""
    import polars as pl

    weights = model.weights()
    columns = []
    frame = compared
    for comparison in COMPARISONS:
        level = pl.col(f"{comparison.name}_level")
        table = [0.0, *weights[comparison.name]]
        weight = level.replace_strict(list(range(len(table))), table, return_dtype=pl.Float64)
        if comparison.tf and comparison.name in model.frequencies:
            # At the top level, u is the agreeing value's own frequency.
            frame = frame.join(
                model.frequencies[comparison.name].rename({"value": f"{comparison.name}_value", "frequency": f"__{comparison.name}_tf"}),
                on=f"{comparison.name}_value",
                how="left",
                maintain_order="left",
            )
            m_top = model.m[comparison.name][-1]
            adjusted = (m_top / pl.col(f"__{comparison.name}_tf")).log(2).clip(-MAX_WEIGHT, MAX_WEIGHT)
            weight = pl.when((level == comparison.top) & pl.col(f"__{comparison.name}_tf").is_not_null()).then(adjusted).otherwise(weight)
        columns.append(weight.alias(f"{comparison.name}_weight"))
    prior_weight = math.log2(model.prior / (1 - model.prior))
    frame = frame.with_columns(columns).drop([f"__{c.name}_tf" for c in TF_COMPARISONS], strict=False)
    total = pl.sum_horizontal([pl.col(f"{c.name}_weight") for c in COMPARISONS]) + prior_weight
    return frame.with_columns(total.alias("match_weight")).with_columns(
        (1 / (1 + (2 ** -pl.col("match_weight").clip(-60, 60)))).alias("probability")
    )
