"""Folding names for comparison: accents, transliteration, nicknames, company legal forms."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from listclean.linkage.names import fold_company, fold_name, given_name_key


def apply(function, values):
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(function(pl.col("v"))).to_series().to_list()


def test_names_fold_to_comparable_ascii():
    typed = ["Łukasz", "MÜLLER", "Юлия", "Γιώργος", "O'Brien", "José  María", "山田", "  ", None]
    assert apply(fold_name, typed) == ["lukasz", "muller", "yuliya", "giorgos", "obrien", "jose maria", "山田", None, None]


def test_nicknames_share_a_key_and_other_names_keep_their_own():
    keys = apply(lambda c: given_name_key(fold_name(c)), ["Bill", "William", "Will", "Kasia", "Katarzyna", "Bob", "Zbigniew"])
    assert keys[:3] == ["william"] * 3
    assert keys[3] == keys[4]
    assert keys[5] == "robert"
    assert keys[6] == "zbigniew"


def test_company_legal_forms_do_not_count():
    assert apply(fold_company, ["ACME Inc.", "Acme, Inc", "Firma Sp. z o.o.", "Müller GmbH", "The Company"]) == [
        "acme", "acme", "firma", "muller", None,
    ]


@given(st.lists(st.text(max_size=20), max_size=20))
def test_folding_is_idempotent(values):
    once = apply(fold_name, values)
    assert apply(fold_name, once) == once
