"""Which rows are one person: each rule, its guards, and the words that explain it."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import polars as pl
import pytest

from helpers import contacts, together
from listclean.linkage import DedupeOptions, dedupe

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from people import generate_people, pairwise_quality  # noqa: E402


def test_the_same_address_in_any_case_is_one_person():
    result = dedupe(contacts({"email": "Anna.Nowak@firma.pl", "first_name": "Anna"}, {"email": "anna.nowak@FIRMA.PL", "first_name": "ANNA"}))
    assert result.frame.height == 1
    assert result.frame["merge_reason"][0] == "same address"


def test_gmail_dots_and_tags_merge_and_the_reason_names_the_rules():
    result = dedupe(contacts({"email": "anna.nowak@gmail.com"}, {"email": "annanowak+shop@googlemail.com"}))
    assert result.frame.height == 1
    reason = result.frame["merge_reason"][0]
    assert "gmail_dots" in reason and "plus_tag" in reason and "googlemail_domain" in reason


def test_yahoo_hyphen_addresses_stay_apart():
    result = dedupe(contacts({"email": "anna@yahoo.com", "first_name": "Anna"}, {"email": "anna-shop@yahoo.com"}))
    assert result.frame.height == 2


def test_a_shared_inbox_with_different_given_names_is_two_people():
    result = dedupe(contacts(
        {"email": "nowakowie@gmail.com", "first_name": "Anna", "last_name": "Nowak"},
        {"email": "nowakowie@gmail.com", "first_name": "Piotr", "last_name": "Nowak"},
    ))
    assert result.frame.height == 2
    assert result.frame["cluster_id"].n_unique() == 2
    assert result.pairs["rule"].to_list() == ["shared_address"]
    assert result.report.shared_addresses == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # same phone, nickname
        ({"email": "bill.smith@acme.com", "first_name": "Bill", "last_name": "Smith", "phone": "+48600100200"},
         {"email": "w.smith@gmail.com", "first_name": "William", "last_name": "Smith", "phone": "+48600100200"}),
        # same phone, swapped first and last name
        ({"first_name": "Nowak", "last_name": "Anna", "phone": "+48600100200"},
         {"first_name": "Anna", "last_name": "Nowak", "phone": "+48600100200"}),
        # mistyped domain, same name
        ({"email": "jan.kowalski@gmial.com", "first_name": "Jan", "last_name": "Kowalski"},
         {"email": "jan.kowalski@gmail.com", "first_name": "Jan", "last_name": "Kowalski"}),
        # the same distinctive mailbox at a second domain, the same name
        ({"email": "kowalski.jan.krakow@firma.pl", "first_name": "Jan", "last_name": "Kowalski"},
         {"email": "kowalski.jan.krakow@gmail.com", "first_name": "Jan", "last_name": "Kowalski"}),
        # transliterated name, same phone
        ({"first_name": "Юлия", "last_name": "Иванова", "phone": "+79161234567"},
         {"first_name": "Yuliya", "last_name": "Ivanova", "phone": "+79161234567"}),
        # no address at all: same name at the same postcode
        ({"first_name": "Zofia", "last_name": "Wiśniewska", "postal_code": "00-950"},
         {"email": "zofia@wp.pl", "first_name": "Zofia", "last_name": "Wisniewska", "postal_code": "00950"}),
    ],
)
def test_fuzzy_rules_merge_the_same_person(a, b):
    result = dedupe(contacts(a, b))
    assert together(result, 1, 2), result.pairs.to_dicts()
    assert result.frame["merge_reason"][0]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # same name, addresses one edit apart but different numbers: two accounts
        ({"email": "susan.wozniak727@gmail.com", "first_name": "Susan", "last_name": "Woźniak"},
         {"email": "susan.wozniak789@gmail.com", "first_name": "Susan", "last_name": "Woźniak"}),
        # same common name, nothing else in common
        ({"email": "john.smith@acme.com", "first_name": "John", "last_name": "Smith", "postal_code": "10001"},
         {"email": "jsmith@gmail.com", "first_name": "John", "last_name": "Smith", "postal_code": "94105"}),
        # same phone (a switchboard), different people
        ({"first_name": "Anna", "last_name": "Nowak", "phone": "+48221234567"},
         {"first_name": "Tomasz", "last_name": "Zieliński", "phone": "+48221234567"}),
        # two Kerstin Wagners at two providers: a mailbox that is only the name is no evidence
        ({"email": "kerstin.wagner@web.de", "first_name": "Kerstin", "last_name": "Wagner"},
         {"email": "kerstin.wagner@gmx.de", "first_name": "Kerstin", "last_name": "Wagner"}),
        ({"email": "kerstin.wagner1975@web.de", "first_name": "Kerstin", "last_name": "Wagner"},
         {"email": "kerstin_wagner1975@gmail.com", "first_name": "Kerstin", "last_name": "Wagner"}),
        # one Gmail mailbox name, another with an underscore: two accounts, two people of one name
        ({"email": "stefan.mueller@gmail.com", "first_name": "Stefan", "last_name": "Müller"},
         {"email": "stefan_mueller@gmail.com", "first_name": "Stefan", "last_name": "Müller"}),
        # two different full birth dates: two people, whatever else agrees (a father and son)
        ({"email": "jan.kowalski@firma.pl", "first_name": "Jan", "last_name": "Kowalski", "birth_date": "1950-03-01", "postal_code": "30-001"},
         {"email": "jan.kowalski@firma.pl", "first_name": "Jan", "last_name": "Kowalski", "birth_date": "1979-11-20", "postal_code": "30-001"}),
        # same mailbox name at another domain, but different phones
        ({"email": "jan.kowalski@firma.pl", "first_name": "Jan", "last_name": "Kowalski", "phone": "+48600100200"},
         {"email": "jan.kowalski@gmail.com", "first_name": "Jan", "last_name": "Kowalski", "phone": "+48600999888"}),
    ],
)
def test_look_alikes_stay_apart(a, b):
    result = dedupe(contacts(a, b))
    assert not together(result, 1, 2), result.pairs.to_dicts()


def test_match_levels_widen_step_by_step():
    rows = contacts(
        {"email": "anna.nowak@gmail.com", "first_name": "Anna", "last_name": "Nowak", "phone": "+48600100200"},
        {"email": "Anna.Nowak@gmail.com", "first_name": "Anna", "last_name": "Nowak"},
        {"email": "annanowak@gmail.com", "first_name": "Anna", "last_name": "Nowak"},
        {"email": "a.nowak@firma.pl", "first_name": "Anna", "last_name": "Nowak", "phone": "+48600100200"},
        {"email": "anna.nowak@gmial.com", "first_name": "Anna", "last_name": "Nowak"},
    )
    exact = dedupe(rows, DedupeOptions(match="exact"))
    canonical = dedupe(rows, DedupeOptions(match="canonical"))
    fuzzy = dedupe(rows, DedupeOptions(match="fuzzy"))
    assert together(exact, 1, 2) and not together(exact, 1, 3)
    assert together(canonical, 1, 3) and together(canonical, 1, 4) and not together(canonical, 1, 5)
    assert fuzzy.frame.height == 1


def test_a_chain_of_near_matches_does_not_become_one_giant_cluster():
    # Each address is one keystroke from the previous one: neighbours look like typos of each
    # other, but the first and the last have nothing in common.
    addresses, local = [], list("jankowalskiprivate")
    for i in range(15):
        local[i + 1] = "x"
        addresses.append("".join(local) + "@firma.pl")
    rows = [{"email": address, "first_name": "Jan", "last_name": "Kowalski"} for address in addresses]
    # Among other people, so the weights learned from the list see typos as rare.
    others = generate_people(400, seed=2).drop("person_id").select("email", "first_name", "last_name")
    listed = pl.concat([contacts(*rows), others.with_columns(pl.lit("list.csv").alias("_source_file"), pl.int_range(16, 416, dtype=pl.Int64).alias("_source_row"))], how="diagonal_relaxed")
    chained = pl.col("_source_row") <= 15
    result = dedupe(listed, DedupeOptions(max_cluster=10))
    assert result.report.guarded_rows >= 15
    assert result.clusters.filter(chained)["cluster_id"].n_unique() == 15  # no strong evidence: every row stays its own record
    unguarded = dedupe(listed, DedupeOptions(max_cluster=50))
    assert unguarded.clusters.filter(chained)["cluster_id"].n_unique() == 1


def test_cluster_ids_are_stable_across_row_order_and_never_shared():
    people = generate_people(600, seed=5).drop("person_id")
    first = dedupe(people)
    shuffled = people.sample(fraction=1.0, shuffle=True, seed=9)
    second = dedupe(shuffled)
    by_row = lambda result: dict(result.clusters.select("_source_row", "cluster_id").iter_rows())  # noqa: E731
    assert by_row(first) == by_row(second)
    assert first.frame["cluster_id"].n_unique() == first.frame.height


def test_quality_on_generated_people_with_known_duplicates():
    people = generate_people(6000, seed=11)
    result = dedupe(people.drop("person_id"))
    ids = result.clusters.sort("_source_row")["cluster_id"]
    quality = pairwise_quality(people.sort("_source_row")["person_id"], ids)
    assert quality["precision"] >= 0.995, quality
    assert quality["f1"] >= 0.99, quality


def test_every_input_row_is_accounted_for():
    people = generate_people(2000, seed=3).drop("person_id")
    result = dedupe(people)
    assert result.frame["merged_rows"].sum() == people.height
    listed = result.frame.select(pl.col("merged_from").list.len()).to_series().fill_null(1).sum()
    assert listed == people.height
    assert result.clusters.height == people.height
    assert result.clusters["is_survivor"].sum() == result.frame.height


def test_identical_rows_merge_without_pairwise_work_and_say_so():
    row = {"email": "anna@firma.pl", "first_name": "Anna", "last_name": "Nowak", "phone": "+48600100200"}
    result = dedupe(contacts(row, row, row))
    assert result.frame.height == 1
    assert result.frame["merge_reason"][0] == "duplicate rows with the same details ×2"
    assert result.report.pairs_compared == 0


def test_rows_with_nothing_to_compare_are_never_merged():
    result = dedupe(contacts({"city": "Kraków"}, {"city": "Kraków"}, {"country": "PL"}, {"country": "PL"}))
    assert result.frame.height == 4
