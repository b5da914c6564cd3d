"""The rule-based levels (``--match exact`` and ``canonical``): named rules decide which pairs are one person.

Similarities are rapidfuzz scorers run over whole columns of pairs (``process.cpdist``,
multi-threaded C++), never a Python loop per pair. The decision is the first rule that holds
(``RULES``, in order), so a merge can always be said in words. ``--match fuzzy`` is the
probabilistic model (comparisons.py, model.py); the shared-inbox rule here is also its.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from listclean.linkage.comparisons import PairScorer


@dataclass(frozen=True)
class MatchSettings:
    name: float = 0.88  # canonical: name similarity needed with the same phone
    email: float = 0.9  # fuzzy: address similarity counted as a typo of the same address
    first_conflict: float = 0.85  # given names below this are different people, even at one address


# Rule name -> plain words, in the order they are tried.
RULES = {
    "same_address": "same address",
    "same_phone_and_name": "same phone number and similar name",
}
NOT_MATCHED = {
    "shared_address": "same address but different given names (a shared inbox): kept apart",
    "no_rule": "not enough in common",
}
STRONG_RULES = ("same_address", "same_phone_and_name")


def score_pairs(pairs: pl.DataFrame, features: pl.DataFrame, settings: MatchSettings, scorer: PairScorer | None = None) -> pl.DataFrame:
    """Each pair with its field scores, the rule that decided it, `matched` and a 0-1 `score`.
    `scorer`: the features' PairScorer, when one is kept across chunks of pairs."""
    import polars as pl
    from rapidfuzz.distance import OSA, JaroWinkler

    from listclean.linkage.comparisons import PairScorer

    left = features[pairs["left"]]
    right = features[pairs["right"]]
    scorer = scorer or PairScorer(features)
    li, ri = pairs["left"].to_numpy(), pairs["right"].to_numpy()

    def sim(left_column: str, scorer_function, right_column: str | None = None) -> pl.Series:  # noqa: ANN001
        return scorer.similarity(li, ri, (left_column, right_column or left_column), scorer_function)

    jw = JaroWinkler.normalized_similarity
    first_sim = sim("__first", jw)
    last_sim = sim("__last", jw)
    swapped = (sim("__first", jw, "__last") + sim("__last", jw, "__first")) / 2
    city_sim = sim("__city", jw)

    frame = pl.DataFrame(
        {
            "left": pairs["left"],
            "right": pairs["right"],
            "key": pairs["key"],
            "first_sim": first_sim,
            "last_sim": last_sim,
            "swapped_sim": swapped,
            "city_sim": city_sim,
        }
    )
    same = {
        name: (left[name] == right[name])
        for name in ("email_canonical", "__first_key", "__phone", "__postal", "__country")
    }
    # One slip of the keyboard in a given name (Ail/Ali, Zëo/Zoë) is the same name.
    slip = sim("__first", OSA.distance) <= 1
    long_enough = (left["__first"].str.len_chars() >= 2) & (right["__first"].str.len_chars() >= 2)
    initial = (left["__first"].str.len_chars() == 1) | (right["__first"].str.len_chars() == 1)
    initial_ok = initial & (left["__first"].str.slice(0, 1) == right["__first"].str.slice(0, 1))
    frame = frame.with_columns(
        same_email=same["email_canonical"].fill_null(False),
        same_phone=same["__phone"].fill_null(False),
        phone_conflict=(~same["__phone"]).fill_null(False),
        same_postal=same["__postal"].fill_null(False),
        first_slip=(slip & long_enough).fill_null(False),
        country_conflict=(~same["__country"]).fill_null(False),
        same_given_group=same["__first_key"].fill_null(False),
        initial_ok=initial_ok.fill_null(False),
        exact_address=(left["__normalized"].str.to_lowercase() == right["__normalized"].str.to_lowercase()).fill_null(False),
        rules_used=pl.concat_str(left["email_canonical_rules"], right["email_canonical_rules"], separator=",", ignore_nulls=True),
    )
    # Given names: one nickname group, or an initial that fits, count as the same name.
    first = (
        pl.when(pl.col("same_given_group"))
        .then(1.0)
        .when(pl.col("initial_ok") | pl.col("first_slip"))
        .then(pl.max_horizontal(pl.col("first_sim"), pl.lit(0.9)))
        .otherwise(pl.col("first_sim"))
    )
    direct = pl.when(first.is_not_null() & pl.col("last_sim").is_not_null()).then((first + pl.col("last_sim")) / 2)
    # Only one side knows the given name: the surname alone, a little discounted.
    partial = pl.when(first.is_null()).then(pl.col("last_sim") - 0.05)
    frame = frame.with_columns(
        first_score=first,
        name_score=pl.max_horizontal(direct, pl.col("swapped_sim"), partial),
    )
    s = settings
    # Address similarity is only worth computing where it could decide: different addresses
    # of people whose names already agree (a fraction of the pairs; the rest stay null).
    needed = frame.select((~pl.col("same_email") & (pl.col("name_score") >= s.name)).fill_null(False)).to_series()
    email_sim = pl.Series("email_sim", [None] * frame.height, dtype=pl.Float32)
    wanted = needed.arg_true()
    if wanted.len():
        chosen = wanted.to_numpy()
        typed = scorer.similarity(li[chosen], ri[chosen], ("email_canonical", "email_canonical"), OSA.normalized_similarity)
        email_sim = email_sim.scatter(wanted, typed)
    frame = frame.with_columns(email_sim)
    name = pl.col("name_score").fill_null(0)
    # Given names that disagree, unless first and last were swapped ("H. John" / "John Harris").
    first_conflict = ((pl.col("first_score") < s.first_conflict) & (pl.col("swapped_sim").fill_null(0) < 0.85)).fill_null(False)
    conditions = {
        # One address but two phone numbers and not quite the same given name: a shared inbox.
        "same_address": pl.col("same_email") & ~first_conflict & ~(pl.col("phone_conflict") & (pl.col("first_score").fill_null(0) < 0.95)),
        "same_phone_and_name": pl.col("same_phone") & (name >= s.name) & ~pl.col("country_conflict"),
    }
    chain = None
    for rule_name, condition in conditions.items():
        chain = (pl.when(condition) if chain is None else chain.when(condition)).then(pl.lit(rule_name))
    rule = chain.when(pl.col("same_email")).then(pl.lit("shared_address")).otherwise(pl.lit("no_rule"))
    place = pl.when(pl.col("same_postal")).then(1.0).otherwise(pl.col("city_sim"))
    phone = pl.when(pl.col("same_phone")).then(1.0).when(pl.col("phone_conflict")).then(0.0)
    email_score = pl.when(pl.col("same_email")).then(1.0).otherwise(pl.col("email_sim"))
    weighted = [(email_score, 0.4), (pl.col("name_score"), 0.3), (phone, 0.2), (place, 0.1)]
    total = pl.sum_horizontal([value.fill_null(0) * weight for value, weight in weighted])
    present = pl.sum_horizontal([pl.when(value.is_not_null()).then(weight).otherwise(0.0) for value, weight in weighted])
    return frame.with_columns(
        rule=rule,
        email_score=email_score,
        phone_score=phone,
        place_score=place,
        score=pl.when(present > 0).then(total / present),
    ).with_columns(matched=pl.col("rule").is_in(list(RULES)))
