"""Typo suggestions, measured on labelled sets (the issue's quality bar is asserted here)."""

from __future__ import annotations

import pytest

from listclean.email.lists import providers
from listclean.email.typos import suggest
from typo_set import keystroke_typos, real_domains, typo_set


@pytest.fixture(scope="module")
def measured():
    labelled = typo_set()
    fixed = wrong = confident = confident_wrong = 0
    for typo, intended in labelled.items():
        suggestion = suggest(typo)
        if suggestion is None:
            continue
        if suggestion.domain == intended:
            fixed += 1
        else:
            wrong += 1
        if suggestion.confident:
            confident += 1
            confident_wrong += suggestion.domain != intended
    return {"n": len(labelled), "fixed": fixed, "wrong": wrong, "confident": confident, "confident_wrong": confident_wrong}


def test_the_labelled_typo_set_is_large_and_covers_every_popular_provider():
    labelled = typo_set()
    assert len(labelled) > 10_000
    assert set(labelled.values()) == set(providers().popular)


def test_at_least_80_percent_of_single_keystroke_typos_are_fixed(measured):
    assert measured["fixed"] / measured["n"] >= 0.80


def test_at_most_1_percent_of_typos_get_a_wrong_fix(measured):
    assert measured["wrong"] / measured["n"] <= 0.01
    # What --fix-typos applies is held to a far stricter bar.
    assert measured["confident_wrong"] / measured["confident"] <= 0.001


def test_at_most_1_percent_false_suggestions_on_real_domains():
    domains = real_domains()
    assert len(domains) >= 300
    false = [(domain, suggest(domain)) for domain in domains if suggest(domain) is not None]
    assert len(false) / len(domains) <= 0.01, false


def test_known_providers_are_never_corrected():
    assert all(suggest(domain) is None for domain in providers().known)


@pytest.mark.parametrize(
    ("typed", "expected", "confident"),
    [
        ("gmial.com", "gmail.com", True),
        ("hotmial.com", "hotmail.com", True),
        ("yaho.com", "yahoo.com", True),
        ("gmail.con", "gmail.com", True),
        ("outlook.cmo", "outlook.com", True),
        ("gmailcom", "gmail.com", True),
        ("gmail,com", "gmail.com", True),
        ("gmail..com", "gmail.com", True),
        ("yahoo.com.jp", "yahoo.co.jp", False),
        ("hotmail.co.br", "hotmail.com.br", False),
        ("gmail.co", "gmail.com", False),  # .co exists: suggested, not fixed
        ("company.con", "company.com", True),
    ],
)
def test_common_typos(typed, expected, confident):
    suggestion = suggest(typed)
    assert suggestion is not None and (suggestion.domain, suggestion.confident) == (expected, confident)


@pytest.mark.parametrize("domain", ["aon.com", "ao.com", "mail.com", "ymail.com", "me.com", "company.co", "msc.com", "gmx.de"])
def test_short_or_real_neighbours_are_left_alone(domain):
    assert suggest(domain) is None


def test_keystroke_typos_are_one_keystroke_away():
    typos = keystroke_typos("gmail.com")
    assert {"gmial.com", "gmai.com", "gmaill.com", "gnail.com", "gmail.con"} <= typos
    assert "gmail.com" not in typos
