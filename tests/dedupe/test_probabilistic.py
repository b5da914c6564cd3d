"""The probabilistic engine: weights learned from the list, every identifying field, review and labels."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

from helpers import contacts, together
from listclean.linkage import DedupeOptions, dedupe
from listclean.linkage.blocking import phonetic
from listclean.linkage.comparisons import COMPARISONS
from listclean.linkage.engine import learn_model
from listclean.linkage.training import random_pairs

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from people import generate_people  # noqa: E402


def _background(rows: int = 400, seed: int = 2, start: int = 1000) -> pl.DataFrame:
    """Other people, so that what the model learns from the list looks like a list."""
    others = generate_people(rows, seed=seed).drop("person_id").select("email", "first_name", "last_name", "postal_code", "city")
    return others.with_columns(pl.lit("others.csv").alias("_source_file"), pl.int_range(start, start + rows, dtype=pl.Int64).alias("_source_row"))


def _with_background(*rows: dict) -> pl.DataFrame:
    return pl.concat([contacts(*rows), _background()], how="diagonal_relaxed")


def test_the_weights_are_learned_from_the_list_and_reported():
    result = dedupe(generate_people(3000, seed=4).drop("person_id"))
    model = result.report.model
    assert model is not None and model.random_pairs > 0 and model.pairs_trained > 0
    described = result.report.as_dict()["model"]
    assert set(described["comparisons"]) == {c.name for c in COMPARISONS}
    first = described["comparisons"]["first"]
    # Agreeing on a given name is evidence for, disagreeing against; the m of each field sums to one.
    assert first["same"]["weight"] > 0 > first["different"]["weight"]
    for comparison in COMPARISONS:
        assert abs(sum(model.m[comparison.name]) - 1) < 1e-6 and abs(sum(model.u[comparison.name]) - 1) < 1e-6


def test_a_rare_surname_weighs_more_than_a_common_one():
    people = generate_people(3000, seed=4).drop("person_id")
    rare = [{"email": f"a{i}@one.pl", "first_name": "Jan", "last_name": "Zzyzkowski", "postal_code": "30-001"} for i in range(2)]
    common = [{"email": f"b{i}@two.pl", "first_name": "Jan", "last_name": "Smith", "postal_code": "30-002"} for i in range(2)]
    frame = pl.concat([contacts(*rare, *common), people.with_columns(pl.int_range(100, 3100, dtype=pl.Int64).alias("_source_row"))], how="diagonal_relaxed")
    pairs = dedupe(frame, DedupeOptions(keep_all_pairs=True)).pairs.filter(pl.col("left_row").is_in([1, 3]) & pl.col("right_row").is_in([2, 4]))
    weight = {row["left_row"]: row["last_weight"] for row in pairs.iter_rows(named=True) if row["right_row"] == row["left_row"] + 1}
    assert weight[1] > weight[3] + 2  # Zzyzkowski (once in the list) against Smith (common in it)


def test_the_same_list_gives_the_same_model_and_clusters_every_time():
    people = generate_people(1500, seed=8).drop("person_id")
    first, second = dedupe(people), dedupe(people)
    assert first.report.as_dict()["model"] == second.report.as_dict()["model"]
    assert first.clusters.equals(second.clusters)


def test_random_pairs_are_every_pair_of_a_small_list_and_a_fixed_draw_of_a_large_one():
    small = random_pairs(5)
    assert small.height == 10 and (small["left"] < small["right"]).all()
    large = random_pairs(100_000, limit=1000)
    assert large.height == 1000 and (large["left"] < large["right"]).all() and large.equals(random_pairs(100_000, limit=1000))


def test_birth_dates_tell_people_apart_and_bring_them_together():
    same_day = {"first_name": "Anna", "last_name": "Nowak", "birth_date": "1984-05-17"}
    result = dedupe(_with_background(
        {**same_day, "email": "anna.n@firma.pl", "postal_code": "30-001", "city": "Kraków"},
        {**same_day, "email": "nowak.a.84@gmail.com", "postal_code": "31-222", "city": "Kraków", "last_name": "Nowack"},  # a surname typo, moved
    ))
    assert together(result, 1, 2), result.pairs.filter(pl.col("left_row") == 1).to_dicts()
    # A father and son: one address, one name, two birth dates.
    family = [{"email": "kowalscy@home.pl", "first_name": "Jan", "last_name": "Kowalski", "birth_date": date} for date in ("1950-03-01", "1979-11-20")]
    strict = dedupe(_with_background(*family))
    assert not together(strict, 1, 2)
    assert strict.pairs.filter(pl.col("left_row") == 1)["rule"].to_list() == ["different_birth_dates"]
    weighed = dedupe(_with_background(*family), DedupeOptions(strict_birth_dates=False))
    assert together(weighed, 1, 2)  # weighed only: the same address outweighs it
    # A typo in a birth date (one keystroke, or day and month swapped) is not a conflict.
    typo = dedupe(_with_background(*({**same_day, "email": "anna@firma.pl", "birth_date": date} for date in ("1984-05-17", "1984-05-18"))))
    assert together(typo, 1, 2)


def test_a_street_address_counts():
    home = {"address_line1": "12 Florey Drive", "postal_code": "2600", "city": "Canberra"}
    result = dedupe(_with_background(
        {"first_name": "Michaela", "last_name": "George", **home},
        {"first_name": "Michaela", "last_name": "Georges", **{**home, "address_line1": "12 florey dr."}},
    ))
    pair = result.pairs.filter((pl.col("left_row") == 1) & (pl.col("right_row") == 2)).row(0, named=True)
    assert pair["street_agreement"] == "same" and pair["street_weight"] > 5  # "Dr." is "Drive"
    assert together(result, 1, 2)


def test_a_surname_typo_and_a_new_address_are_still_compared():
    result = dedupe(_with_background(
        {"email": "k.wisniewska@firma.pl", "first_name": "Katarzyna", "last_name": "Wiśniewska", "phone": "+48600100200"},
        {"email": "kasia.w@gmail.com", "first_name": "Katarzyna", "last_name": "Wisnewska", "phone": "+48 600 100 200"},
    ))
    keys = result.pairs.filter((pl.col("left_row") == 1) & (pl.col("right_row") == 2))["key"].to_list()
    assert keys, "never compared"
    assert together(result, 1, 2)
    assert result.report.pairs_compared > 0


def test_phonetic_keys_group_spellings_of_one_surname():
    names = pl.DataFrame({"name": ["robert", "rupert", "schmidt", "schmitt", "nowak", "nowack", "tymczak", "pfister", "李"]})
    codes = names.select(phonetic(pl.col("name")))["name"].to_list()
    assert codes[0] == codes[1] == "r163" and codes[2] == codes[3] and codes[4] == codes[5]
    assert codes[6] == "t522" and codes[7] == "p236" and codes[8] == "李"


def test_the_merge_reason_says_what_agreed_and_never_names_an_empty_rule():
    result = dedupe(_with_background(
        {"email": "anna.nowak@gmail.com", "first_name": "Anna", "last_name": "Nowak"},
        {"email": "Anna.Nowak@googlemail.com", "first_name": "Anna", "last_name": "Nowak"},
        {"email": "anna.nowak@gmial.com", "first_name": "Anna", "last_name": "Nowak"},
    ))
    reason = result.frame.filter(pl.col("merged_rows") == 3)["merge_reason"][0]
    assert "(, " not in reason and ", )" not in reason
    assert "same address once normalised (gmail_dots, googlemail_domain, lowercase)" in reason
    assert "match probability" in reason and "email typo" in reason


def test_review_pairs_show_both_rows_and_labels_decide_and_teach():
    rows = (
        {"email": "m.weber@firma.de", "first_name": "Maria", "last_name": "Weber", "city": "Köln"},
        {"email": "maria.w@web.de", "first_name": "Maria", "last_name": "Weber", "city": "Köln"},
    )
    frame = _with_background(*rows)
    options = DedupeOptions(review=True, review_threshold=0.001, threshold=0.999)
    result = dedupe(frame, options)
    review = result.review
    pair = review.filter((pl.col("left_row") == 1) & (pl.col("right_row") == 2))
    assert pair.height == 1 and pair["label"].null_count() == 1
    assert pair["left_email"][0] == "m.weber@firma.de" and pair["right_email"][0] == "maria.w@web.de"
    assert not together(result, 1, 2)
    labels = pl.DataFrame({"left_ref": ["list.csv:1"], "right_ref": ["list.csv:2"], "label": [True]})
    labelled = dedupe(frame, DedupeOptions(labels=labels, threshold=0.999))
    assert together(labelled, 1, 2)
    assert labelled.pairs.filter(pl.col("left_row") == 1)["rule"].to_list() == ["labelled_match"]
    apart = dedupe(frame, DedupeOptions(labels=labels.with_columns(pl.lit(False).alias("label"))))
    assert not together(apart, 1, 2)


def test_labels_teach_the_model_not_only_their_pairs():
    people = generate_people(800, seed=12)
    frame = people.drop("person_id")
    plain = learn_model(frame, DedupeOptions())
    # Every true pair sharing a surname block labelled one person, a few others two: the weights move.
    ids = dict(zip(people["_source_row"].to_list(), people["person_id"].to_list()))
    pairs = dedupe(frame, DedupeOptions(keep_all_pairs=True)).pairs
    chosen = pairs.head(200).with_columns(
        pl.struct("left_row", "right_row").map_elements(lambda p: ids[p["left_row"]] == ids[p["right_row"]], return_dtype=pl.Boolean).alias("label")
    )
    labels = chosen.select(
        pl.concat_str("left_file", pl.lit(":"), "left_row").alias("left_ref"), pl.concat_str("right_file", pl.lit(":"), "right_row").alias("right_ref"), "label"
    )
    taught = learn_model(frame, DedupeOptions(labels=labels))
    assert taught.m != plain.m


@pytest.mark.parametrize("chunk", [25, 80])
def test_labelled_matches_across_parts_meet_in_one(chunk):
    from listclean.linkage.partitioned import dedupe_in_parts
    from listclean.runtime import Runtime
    from listclean.stream.budget import MemoryBudget

    frame = pl.concat([contacts(
        {"email": "one@firma.pl", "first_name": "Ola", "last_name": "Lis"},
        {"email": "two@other.pl", "first_name": "Aleksandra", "last_name": "Kowal"},  # nothing in common but the label
    ), _background(200)], how="diagonal_relaxed")
    labels = pl.DataFrame({"left_ref": ["list.csv:1"], "right_ref": ["list.csv:2"], "label": [True]})
    options = DedupeOptions(labels=labels)
    whole = dedupe(frame, options)
    assert together(whole, 1, 2)
    with Runtime(budget=MemoryBudget(2_000)) as runtime:
        result = dedupe_in_parts([frame.slice(i, chunk) for i in range(0, frame.height, chunk)], options, runtime.spool, part_rows=chunk)
        clusters = pl.concat(list(result.clusters), how="diagonal_relaxed")
        golden = pl.concat(list(result.golden), how="diagonal_relaxed")
    assert result.parts > 1
    assert clusters.equals(whole.clusters) and golden.equals(whole.frame)


def test_auto_keeps_birth_dates_strict_unless_the_lists_own_duplicates_often_disagree_on_them():
    import random

    rng = random.Random(3)
    rows = []
    for person in range(150):
        first, last = f"Imie{person}", f"Nazwisko{person}"
        day = f"19{50 + person % 40}-0{1 + person % 9}-1{person % 10}"
        street, postal = f"{person + 1} Długa", f"{10 + person % 80}-{100 + person}"
        rows.append({"email": f"p{person}@firma.pl", "first_name": first, "last_name": last, "birth_date": day, "address_line1": street, "postal_code": postal})
        # Its duplicate: another address, and in a third of them a birth date typed wholly wrong.
        other = f"19{50 + (person + 17) % 40}-0{1 + (person + 4) % 9}-2{person % 10}" if person % 3 == 0 else day
        rows.append({"email": f"q{person}@poczta.pl", "first_name": first, "last_name": last, "birth_date": other, "address_line1": street, "postal_code": postal})
    rng.shuffle(rows)
    noisy = contacts(*rows)
    auto = dedupe(noisy)
    assert not auto.report.model.birth_dates_reliable() and auto.report.as_dict()["model"]["birth_dates_reliable"] is False
    assert auto.frame.height == 150  # weighed: the other fields carry the pairs whose birth date is wrong
    strict = dedupe(noisy, DedupeOptions(strict_birth_dates=True))
    assert strict.frame.height == 200 and strict.report.by_rule.get("different_birth_dates") is None  # kept apart, not merged
    assert strict.pairs.filter(pl.col("rule") == "different_birth_dates").height == 50


def test_rows_kept_apart_are_never_joined_through_a_third_row():
    # Jan born 1960 and Jan born 1990 at one address, and a Jan there with no birth date who
    # matches both: the father and son stay two clusters, the third joins one of them.
    family = contacts(
        {"email": "kowalski@wp.pl", "first_name": "Jan", "last_name": "Kowalski", "birth_date": "1960-02-03"},
        {"email": "kowalski@wp.pl", "first_name": "Jan", "last_name": "Kowalski", "birth_date": "1990-07-08"},
        {"email": "kowalski@wp.pl", "first_name": "Jan", "last_name": "Kowalski"},
    )
    result = dedupe(family)
    assert not together(result, 1, 2) and result.frame.height == 2
    assert together(result, 1, 3) or together(result, 2, 3)
    # A labelled non-match holds the same way.
    three = contacts(*({"email": "anna@acme.com", "first_name": "Anna", "last_name": "Nowak", "phone": phone} for phone in ("+48600100201", "+48600100202", "+48600100203")))
    labels = pl.DataFrame({"left_ref": ["list.csv:1"], "right_ref": ["list.csv:2"], "label": [False]})
    apart = dedupe(three, DedupeOptions(labels=labels))
    assert not together(apart, 1, 2) and apart.frame.height == 2


def test_a_labelled_match_to_a_master_row_that_shares_nothing_is_used_streamed_as_in_memory():
    from listclean.linkage.against import dedupe_against
    from listclean.runtime import Runtime
    from listclean.stream.budget import MemoryBudget

    master = dedupe(generate_people(600, seed=3).drop("person_id")).frame
    new = contacts({"email": "zzz@qq.com", "first_name": "Xi", "last_name": "Zhu"}, source="new.csv")
    ref = f"{master['_source_file'][5]}:{master['_source_row'][5]}"
    options = DedupeOptions(labels=pl.DataFrame({"left_ref": [ref], "right_ref": ["new.csv:1"], "label": [True]}))
    whole = dedupe(new, options, master)
    with Runtime(budget=MemoryBudget(2_000)) as runtime:
        streamed = dedupe_against(new, [master.slice(i, 50) for i in range(0, master.height, 50)], options, runtime.spool)
        out = pl.concat(list(streamed.golden), how="diagonal_relaxed").select(streamed.columns)
    assert whole.report.matched_existing == streamed.report.matched_existing == 1
    assert out.equals(whole.frame) and streamed.pairs.equals(whole.pairs)


def test_two_birth_dates_never_share_a_cluster_even_when_never_compared():
    # Two Jan Kowalskis with different addresses and birth dates, each matched (same phone, same
    # address) to a third record with no birth date: they were never compared with each other.
    rows = contacts(
        {"email": "jan.k@firma.pl", "first_name": "Jan", "last_name": "Kowalski", "birth_date": "1960-02-03", "phone": "+48600100200"},
        {"email": "jk1990@gmail.com", "first_name": "Jan", "last_name": "Kowalski", "birth_date": "1990-07-08"},
        {"email": "jk1990@gmail.com", "first_name": "Jan", "last_name": "Kowalski", "phone": "+48600100200"},
    )
    result = dedupe(rows)
    assert not together(result, 1, 2)
    assert dedupe(rows, DedupeOptions(strict_birth_dates=False)).frame.height == 1  # weighed: chained as before
