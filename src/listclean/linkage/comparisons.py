"""What the probabilistic engine compares: each identifying field at named agreement levels.

A ``Comparison`` turns the two sides of every candidate pair into one small integer per pair,
its agreement level: 0 is *no evidence* (a side is missing, or a level that is not independent
evidence), 1 is *different*, and the higher levels agree more and more closely, the last being
*same*. The model (model.py) learns how likely each level is among pairs of one person (m) and
among pairs of two people (u), so the level is all a comparison decides; it never decides a
match by itself.

Similarities are rapidfuzz scorers over whole columns of pairs, computed once per distinct
pair of values (names, cities and postcodes repeat), never a Python loop per pair.

The levels, from the top:

- email: same canonical address; a typo of it (similarity at least ``MatchSettings.email``,
  the same digits — susan727 and susan789 are two accounts — and the same domain or a mistyped
  one, not two real providers); the same mailbox, as written, at another domain; and *no
  evidence* where both mailboxes are only the person's name (``anna.schneider@``,
  ``anna_schneider1956@``) and they are a keystroke, a separator or a provider apart: two people
  called Anna Schneider pick such mailboxes alike, and the names are already counted; otherwise
  different.
- first name: same (folded: case, accents, transliteration); the same nickname group (Bill,
  William); close (Jaro–Winkler at least 0.92, or one keystroke); similar (Jaro–Winkler at least
  0.8, or an initial that fits); different. First and last names swapped on one side are
  compared swapped.
- last name: same, close, similar, different, as for first names.
- birth date: same; a typo (one keystroke in its eight digits, or day and month swapped); the
  same year (or only a year known on one side and it agrees); different. Two full birth dates
  that differ by more than a typo are two people whatever else agrees (a veto, see engine.py).
- street address (the folded first line): same; similar (token-set similarity at least 0.9);
  different.
- postcode: same; one keystroke apart; different.  City: same; similar; different.
- phone: the same full number when both are known in full (E.164), else the same last eight
  digits, whatever prefix they were written with; one keystroke apart (last eight digits only);
  different.
- company, region, country: same or different; a region or country that agrees where the
  city or postcode already agrees is no further evidence (it follows from them), so it counts
  only when it disagrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from listclean.linkage.compare import MatchSettings


@dataclass(frozen=True)
class Comparison:
    name: str  # model key and explain column prefix
    label: str  # in words
    levels: tuple[str, ...]  # levels 1.. in words, "different" first, "same" last
    # Where the model starts, and what it falls back on when the list is too small to learn
    # from: P(level | one person) and P(level | two people), per level 1.. (they sum to 1).
    m_prior: tuple[float, ...]
    u_prior: tuple[float, ...]
    tf: str | None = None  # the feature column whose value frequency adjusts the top level
    neutral: tuple[int, ...] = ()  # levels that carry no weight (not independent evidence)

    @property
    def top(self) -> int:
        return len(self.levels)


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "email", "email",
        ("different", "only the name, a keystroke or provider apart", "same mailbox at another domain", "typo", "same address"),
        (0.25, 0.05, 0.05, 0.05, 0.60), (0.999_997, 0.000_002, 0.000_000_5, 0.000_000_2, 0.000_000_3), neutral=(2,),
    ),
    Comparison("first", "first name", ("different", "similar", "close", "nickname", "same"), (0.03, 0.04, 0.05, 0.03, 0.85), (0.90, 0.06, 0.025, 0.005, 0.01), tf="__first"),
    Comparison("last", "last name", ("different", "similar", "close", "same"), (0.03, 0.03, 0.06, 0.88), (0.95, 0.04, 0.007, 0.003), tf="__last"),
    Comparison("birth_date", "birth date", ("different", "same year", "typo", "same"), (0.02, 0.03, 0.05, 0.90), (0.975, 0.0245, 0.000_46, 0.000_04)),
    Comparison("street", "street address", ("different", "similar", "same"), (0.25, 0.10, 0.65), (0.9993, 0.0005, 0.0002)),
    Comparison("postcode", "postcode", ("different", "typo", "same"), (0.20, 0.05, 0.75), (0.988, 0.01, 0.002), tf="__postal"),
    Comparison("city", "city", ("different", "similar", "same"), (0.15, 0.05, 0.80), (0.97, 0.01, 0.02), tf="__city"),
    Comparison("phone", "phone", ("different", "typo", "same"), (0.30, 0.05, 0.65), (0.999_998, 0.000_001, 0.000_001)),
    Comparison("company", "company", ("different", "same"), (0.30, 0.70), (0.95, 0.05)),
    Comparison("region", "region", ("different", "same"), (0.10, 0.90), (0.80, 0.20)),
    Comparison("country", "country", ("different", "same"), (0.05, 0.95), (0.70, 0.30)),
)  # fmt: skip
BY_NAME = {comparison.name: comparison for comparison in COMPARISONS}
LEVEL_COLUMNS = tuple(f"{comparison.name}_level" for comparison in COMPARISONS)


class PairScorer:
    """Similarities of many pairs of rows of one features frame, each distinct pair of values
    scored once: every text column is coded once (its distinct values numbered), a pair of
    values is then a pair of integers, and only the distinct ones go to rapidfuzz. Hashing the
    pairs' strings instead cost most of the comparison's time."""

    def __init__(self, features: pl.DataFrame) -> None:
        self.features = features
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Per row, its value's number (-1: null), and the values by number."""
        import numpy as np
        import polars as pl

        if column not in self._codes:
            series = self.features[column]
            values = series.drop_nulls().unique().sort()
            numbered = values.to_frame("v").with_row_index("c")
            codes = series.to_frame("v").join(numbered, on="v", how="left", maintain_order="left")["c"].fill_null(-1).cast(pl.Int64).to_numpy()
            self._codes[column] = (codes, np.array(values.to_list(), dtype=object))
        return self._codes[column]

    def similarity(self, left: np.ndarray, right: np.ndarray, columns: tuple[str, str], scorer) -> pl.Series:  # noqa: ANN001
        """scorer(left row's value of columns[0], right row's value of columns[1]) per pair of
        row numbers; null where either is null."""
        import numpy as np
        import polars as pl
        from rapidfuzz.process import cpdist

        left_codes, left_values = self.codes(columns[0])
        right_codes, right_values = self.codes(columns[1])
        a, b = left_codes[left], right_codes[right]
        present = (a >= 0) & (b >= 0)
        out = np.full(len(a), np.nan, dtype=np.float32)
        if present.any():
            width = max(len(right_values), 1)
            pairs, inverse = np.unique(a[present] * width + b[present], return_inverse=True)
            scores = cpdist(left_values[pairs // width].tolist(), right_values[pairs % width].tolist(), scorer=scorer, workers=-1)
            out[present] = np.asarray(scores, dtype=np.float32)[inverse]
        return pl.Series(out).fill_nan(None)


def _levels(*conditions: pl.Expr) -> pl.Expr:
    """The first condition that holds gives its level (top level first); 1 otherwise; 0 where the
    first condition (both sides present) fails."""
    import polars as pl

    present, *ordered = conditions
    top = len(ordered) + 1
    chain = pl.when(~present.fill_null(False)).then(0)
    for offset, condition in enumerate(ordered):
        chain = chain.when(condition.fill_null(False)).then(top - offset)
    return chain.otherwise(1).cast(pl.UInt8)


_UMLAUTS = {"ae": "a", "oe": "o", "ue": "u", "ss": "s"}


def name_made(local: pl.Expr, first: pl.Expr, last: pl.Expr) -> pl.Expr:
    """Whether a mailbox says no more than the person's name: its letters (separators and
    +tag gone; ä written ae, ß ss as people do) are the name — annaschneider, schneideranna,
    aschneider, annas, anna, schneider — and its digits, if any, are three or fewer or a year
    (anna.m82, anna.mueller584, anna.mueller1956): two people of one common name pick such a mailbox alike."""
    import polars as pl

    def plain(text: pl.Expr) -> pl.Expr:
        return text.str.replace_many(list(_UMLAUTS), list(_UMLAUTS.values()))

    letters = plain(local.str.replace_all(r"[^a-z]", ""))
    digits = local.str.replace_all(r"[^0-9]", "")
    few_digits = (digits.str.len_bytes() <= 3) | digits.str.contains(r"^(19|20)\d\d$")
    f, s = (name.str.replace_all(r"[^a-z]", "") for name in (first, last))
    forms = [
        pl.concat_str(f, s), pl.concat_str(s, f), pl.concat_str(f.str.slice(0, 1), s), pl.concat_str(f, s.str.slice(0, 1)),
        pl.concat_str(s, f.str.slice(0, 1)), f, s,
    ]  # fmt: skip
    forms = [plain(form) for form in forms]
    return few_digits & pl.any_horizontal([(letters == form).fill_null(False) for form in forms])


def compare(pairs: pl.DataFrame, features: pl.DataFrame, settings: MatchSettings, scorer: PairScorer | None = None) -> pl.DataFrame:
    """Every candidate pair (left, right, key) with one `<name>_level` column per comparison,
    the top level's value where a term-frequency adjustment needs it (`<name>_value`), and what
    the hard rules read: same_email, exact_address, rules_used, first_conflict, dob_conflict,
    same_dob. `scorer`: the features' PairScorer, when one is kept across calls."""
    import polars as pl
    from rapidfuzz import fuzz
    from rapidfuzz.distance import OSA, JaroWinkler

    from listclean.email.lists import providers
    from listclean.linkage.blocking import generic_mailbox
    from listclean.linkage.names import given_name_key

    left = features[pairs["left"]]
    right = features[pairs["right"]]
    jw = JaroWinkler.normalized_similarity
    scorer = scorer or PairScorer(features)
    li, ri = pairs["left"].to_numpy(), pairs["right"].to_numpy()

    def sim(left_column: str, scorer_function, right_column: str | None = None) -> pl.Series:  # noqa: ANN001
        return scorer.similarity(li, ri, (left_column, right_column or left_column), scorer_function)

    # Names: compared swapped where the two sides wrote first and last name the other way round.
    first_first, last_last = sim("__first", jw), sim("__last", jw)
    first_last, last_first = sim("__first", jw, "__last"), sim("__last", jw, "__first")
    direct, crossed = (first_first + last_last) / 2, (first_last + last_first) / 2
    swap = ((crossed >= 0.9) & (crossed > direct.fill_null(0) + 0.05)).fill_null(False)
    right_first = pl.select(pl.when(swap).then(right["__last"]).otherwise(right["__first"])).to_series()
    right_last = pl.select(pl.when(swap).then(right["__first"]).otherwise(right["__last"])).to_series()
    first_osa = pl.select(pl.when(swap).then(sim("__first", OSA.distance, "__last")).otherwise(sim("__first", OSA.distance))).to_series()
    last_osa = pl.select(pl.when(swap).then(sim("__last", OSA.distance, "__first")).otherwise(sim("__last", OSA.distance))).to_series()
    frame = pl.DataFrame(
        {
            "left": pairs["left"], "right": pairs["right"], "key": pairs["key"],
            "lf": left["__first"], "rf": right_first, "ll": left["__last"], "rl": right_last,
            "lfk": left["__first_key"], "swapped": swap,
            "first_jw": pl.select(pl.when(swap).then(first_last).otherwise(first_first)).to_series(),
            "first_osa": first_osa,
            "last_jw": pl.select(pl.when(swap).then(last_first).otherwise(last_last)).to_series(),
            "last_osa": last_osa,
            "le": left["email_canonical"], "re": right["email_canonical"],
            "lm": left["__mailbox"], "rm": right["__mailbox"],
            "ll_": left["__local"], "rl_": right["__local"], "ldom": left["__domain"], "rdom": right["__domain"],
            "left_named": left["__name_made"], "right_named": right["__name_made"],
            "ld": left["__email_digits"], "rd": right["__email_digits"],
            "ldob": left["__dob"], "rdob": right["__dob"], "ly": left["__birth_year"], "ry": right["__birth_year"],
            "dob_osa": sim("__dob", OSA.distance),
            "street_sim": sim("__street", fuzz.token_set_ratio) / 100,
            "ls": left["__street"], "rs": right["__street"],
            "lp": left["__postal"], "rp": right["__postal"],
            "postal_osa": sim("__postal", OSA.distance),
            "lc": left["__city"], "rc": right["__city"],
            "city_jw": sim("__city", jw),
            "lph": left["__phone_digits"], "rph": right["__phone_digits"], "lpe": left["__phone"], "rpe": right["__phone"],
            "phone_osa": sim("__phone_digits", OSA.distance),
            "company_sim": sim("__company", fuzz.token_set_ratio) / 100,
            "lr": left["__region"], "rr": right["__region"], "lco": left["__country"], "rco": right["__country"],
            "exact_address": (left["__normalized"].str.to_lowercase() == right["__normalized"].str.to_lowercase()).fill_null(False),
            "rules_used": pl.select(pl.concat_str(left["email_canonical_rules"], right["email_canonical_rules"], separator=",", ignore_nulls=True)).to_series(),
        }
    )  # fmt: skip
    frame = frame.with_columns(given_name_key(pl.col("rf")).alias("rfk"))
    # Address similarity only where it could matter: two different addresses at all.
    apart = frame.select((pl.col("le") != pl.col("re")).fill_null(False)).to_series()
    email_sim = pl.Series("email_sim", [None] * frame.height, dtype=pl.Float32)
    email_edits = pl.Series("email_edits", [None] * frame.height, dtype=pl.Float32)
    wanted = apart.arg_true()
    if wanted.len():
        # Typos are keystrokes in the address as written (werner.schneider9@gjmail.com is one away
        # from werner.schneider9@gmail.com, though Gmail's canonical form drops the dots).
        some_left, some_right = li[wanted.to_numpy()], ri[wanted.to_numpy()]
        email_sim = email_sim.scatter(wanted, scorer.similarity(some_left, some_right, ("__written", "__written"), OSA.normalized_similarity))
        email_edits = email_edits.scatter(wanted, scorer.similarity(some_left, some_right, ("__written", "__written"), OSA.distance))
    frame = frame.with_columns(email_sim, email_edits)

    col = pl.col
    both = lambda a, b: col(a).is_not_null() & col(b).is_not_null()  # noqa: E731
    long_names = (col("lf").str.len_chars() >= 3) & (col("rf").str.len_chars() >= 3)
    initial = (col("lf").str.len_chars() == 1) | (col("rf").str.len_chars() == 1)
    initial_fits = initial & (col("lf").str.slice(0, 1) == col("rf").str.slice(0, 1))
    # The same mailbox as written (case and +tag aside) at another domain, when it is long enough
    # to mean something and not a role (info@, sales@).
    other_domain = (col("ll_") == col("rl_")) & (col("ldom") != col("rdom")) & (col("lm").str.len_chars() >= 5) & ~generic_mailbox(col("lm"))
    # A domain mistyped (gmial.com) rather than another provider (gmx.de, gmx.net): not both known.
    known = list(providers().known)
    mistyped_domain = (col("ldom") != col("rdom")) & ~(col("ldom").is_in(known) & col("rdom").is_in(known))
    # Mailboxes only of the name crowd together (anna.nowak, anna_nowak, annanowak, a.nowak are
    # four people's): a typo next to one is one keystroke from it, not two.
    left_named, right_named = col("left_named").fill_null(False), col("right_named").fill_null(False)
    close_enough = pl.when(left_named | right_named).then(col("email_edits") <= 1).otherwise(col("email_sim") >= settings.email)
    near = close_enough & (col("ld") == col("rd"))
    typo = near & ((col("ldom") == col("rdom")) | mistyped_domain)
    # Both mailboxes only the name: a typo, separator or provider apart, that is two people of one
    # name as often as one person (stefan.mueller@ and stefan_mueller@ are two accounts).
    both_named = left_named & right_named
    name_only = both_named & ~((col("ll_") == col("rl_")) & mistyped_domain)
    full_dates = both("ldob", "rdob")
    swapped_day = (col("ldob").str.slice(0, 4) == col("rdob").str.slice(0, 4)) & (col("ldob").str.slice(4, 2) == col("rdob").str.slice(6, 2)) & (
        col("ldob").str.slice(6, 2) == col("rdob").str.slice(4, 2)
    )
    same_year = col("ly") == col("ry")
    place_agrees = ((col("lc") == col("rc")) | (col("city_jw") >= 0.9) | (col("lp") == col("rp"))).fill_null(False)
    # Intermediate answers as columns, so each is computed once however many levels read it.
    frame = frame.with_columns(
        typo.fill_null(False).alias("__typo"), other_domain.fill_null(False).alias("__other_domain"), both_named.fill_null(False).alias("__both_named"),
        name_only.fill_null(False).alias("__name_only"), place_agrees.alias("__place"), swapped_day.fill_null(False).alias("__swapped_day"),
        initial_fits.fill_null(False).alias("__initial_fits"), long_names.fill_null(False).alias("__long_names"),
    )
    typo, other_domain, both_named, name_only = col("__typo"), col("__other_domain"), col("__both_named"), col("__name_only")
    place_agrees, swapped_day, initial_fits, long_names = col("__place"), col("__swapped_day"), col("__initial_fits"), col("__long_names")
    first_conflict = both("lf", "rf") & (col("lfk") != col("rfk")) & ~initial_fits & ~(long_names & (col("first_osa") <= 1)) & (col("first_jw") < 0.85)
    levels = frame.select(
        "left", "right", "key", "exact_address", "rules_used", first_conflict.fill_null(False).alias("__first_conflict"),
        _levels(both("le", "re"), col("le") == col("re"), typo & ~name_only, other_domain & ~both_named, (typo | other_domain) & both_named)
        .alias("email_level"),
        _levels(both("lf", "rf"), col("lf") == col("rf"), col("lfk") == col("rfk"), (col("first_jw") >= 0.92) | (long_names & (col("first_osa") <= 1)),
                (col("first_jw") >= 0.8) | initial_fits).alias("first_level"),
        _levels(both("ll", "rl"), col("ll") == col("rl"), (col("last_jw") >= 0.92) | ((col("ll").str.len_chars() >= 3) & (col("last_osa") <= 1)),
                col("last_jw") >= 0.8).alias("last_level"),
        _levels(full_dates | both("ly", "ry"), full_dates & (col("ldob") == col("rdob")), full_dates & ((col("dob_osa") <= 1) | swapped_day), same_year)
        .alias("birth_date_level"),
        _levels(both("ls", "rs"), col("ls") == col("rs"), col("street_sim") >= 0.9).alias("street_level"),
        _levels(both("lp", "rp"), col("lp") == col("rp"), col("postal_osa") <= 1).alias("postcode_level"),
        _levels(both("lc", "rc"), col("lc") == col("rc"), col("city_jw") >= 0.9).alias("city_level"),
        # Two numbers both known in full (E.164) are compared in full: +1 555 123 4567 and
        # +7 495 123 4567 end alike but are two phones. Otherwise by their last eight digits.
        pl.when(both("lpe", "rpe")).then(pl.when(col("lpe") == col("rpe")).then(3).otherwise(1).cast(pl.UInt8))
        .otherwise(_levels(both("lph", "rph"), col("lph") == col("rph"), col("phone_osa") <= 1)).alias("phone_level"),
        _levels(col("company_sim").is_not_null(), col("company_sim") >= 0.9).alias("company_level"),
        # A region or country that agrees says nothing more once the city or postcode agrees (it
        # follows from them): only a disagreement counts then.
        _levels(both("lr", "rr") & ~(place_agrees & (col("lr") == col("rr"))), col("lr") == col("rr")).alias("region_level"),
        _levels(both("lco", "rco") & ~(place_agrees & (col("lco") == col("rco"))), col("lco") == col("rco")).alias("country_level"),
        # Term-frequency values: the agreeing value itself.
        # (Not for names compared swapped: a surname is rare among given names, which says nothing.)
        pl.when((col("lf") == col("rf")) & ~col("swapped")).then(col("lf")).alias("first_value"),
        pl.when((col("ll") == col("rl")) & ~col("swapped")).then(col("ll")).alias("last_value"),
        pl.when(col("lp") == col("rp")).then(col("lp")).alias("postcode_value"),
        pl.when(col("lc") == col("rc")).then(col("lc")).alias("city_value"),
        # What the hard rules read (engine.py).
        (col("le") == col("re")).fill_null(False).alias("same_email"),
        full_dates.fill_null(False).alias("both_dated"),
    )  # fmt: skip
    return levels.with_columns(
        (col("both_dated") & (col("birth_date_level") == 4)).alias("same_dob"),
        (col("both_dated") & (col("birth_date_level") <= 2)).alias("dob_conflict"),
        # Given names that disagree (not one nickname group, initial or keystroke, and less than
        # 0.85 alike; swapped names compared swapped): two people, even at one address.
        pl.col("__first_conflict").alias("first_conflict"),
    ).drop("both_dated", "__first_conflict")
