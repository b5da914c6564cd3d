"""Provider-aware canonical addresses: each rule where the provider documents it, nowhere else."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listclean.linkage.canonical import canonicalise


def canonical(*addresses: str | None) -> list[tuple[str | None, str | None]]:
    frame = canonicalise(pl.Series(list(addresses), dtype=pl.String))
    return list(frame.iter_rows())


@pytest.mark.parametrize(
    ("typed", "expected", "rules"),
    [
        ("Anna.Nowak@gmail.com", "annanowak@gmail.com", "lowercase,gmail_dots"),
        ("anna.nowak+shop@googlemail.com", "annanowak@gmail.com", "googlemail_domain,gmail_dots,plus_tag"),
        ("ann+news@me.com", "ann@icloud.com", "apple_domain,plus_tag"),
        ("ann@mac.com", "ann@icloud.com", "apple_domain"),
        ("peter+x@outlook.com", "peter@outlook.com", "plus_tag"),
        ("peter+x@hotmail.co.uk", "peter@hotmail.co.uk", "plus_tag"),
        ("j+list@fastmail.com", "j@fastmail.com", "plus_tag"),
        ("j+list@proton.me", "j@proton.me", "plus_tag"),
        # Not applied: dots outside Gmail, Yahoo's hyphen addresses, +tags at unknown domains.
        ("anna.nowak@outlook.com", "anna.nowak@outlook.com", ""),
        ("anna-shop@yahoo.com", "anna-shop@yahoo.com", ""),
        ("anna+x@yahoo.com", "anna+x@yahoo.com", ""),
        ("anna+x@firma.pl", "anna+x@firma.pl", ""),
    ],
)
def test_each_rule_applies_only_where_the_provider_documents_it(typed, expected, rules):
    assert canonical(typed) == [(expected, rules)]


def test_a_missing_address_has_no_key():
    assert canonical(None) == [(None, None)]


ADDRESSES = st.builds(
    lambda local, tag, domain: f"{local}{'+' + tag if tag else ''}@{domain}",
    st.from_regex(r"[A-Za-z][A-Za-z0-9._-]{0,12}", fullmatch=True),
    st.one_of(st.none(), st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True)),
    st.sampled_from(["gmail.com", "googlemail.com", "me.com", "outlook.com", "yahoo.com", "firma.pl", "icloud.com"]),
)


@given(st.lists(ADDRESSES, min_size=1, max_size=20))
def test_canonical_form_is_stable(addresses):
    once = [key for key, _ in canonical(*addresses)]
    twice = [key for key, _ in canonical(*once)]
    assert once == twice
