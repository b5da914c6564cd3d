"""Repairs of the address cell: what is fixed, and that every fix is recorded."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listclean.email.repair import repair


def repaired(cell: str | None) -> tuple[str | None, list[str], list[str]]:
    frame = repair(pl.DataFrame({"email": [cell]}, schema={"email": pl.String}), pl.col("email"))
    row = frame.row(0)
    return row[0], list(row[1]), list(row[2])


@pytest.mark.parametrize(
    ("cell", "address", "codes"),
    [
        ("anna@gmail.com", "anna@gmail.com", []),
        ("  anna@gmail.com\t", "anna@gmail.com", ["repaired_whitespace"]),
        ("anna\u200b@gmail.com", "anna@gmail.com", ["repaired_invisible"]),
        ("\u00a0anna@gmail.com", "anna@gmail.com", ["repaired_whitespace", "repaired_invisible"]),
        ("mailto:anna@gmail.com", "anna@gmail.com", ["repaired_mailto"]),
        ("MAILTO:anna@gmail.com?subject=Hi", "anna@gmail.com", ["repaired_mailto"]),
        ("Anna Nowak <anna@gmail.com>", "anna@gmail.com", ["repaired_display_name"]),
        ('"Nowak, Anna" <anna@gmail.com>', "anna@gmail.com", ["repaired_display_name"]),
        ("<anna@gmail.com>", "anna@gmail.com", ["repaired_display_name"]),
        ("<mailto:anna@gmail.com>", "anna@gmail.com", ["repaired_display_name", "repaired_mailto"]),
        ("anna＠gmail.com", "anna@gmail.com", ["repaired_fullwidth_at"]),
        ("anna﹫gmail.com", "anna@gmail.com", ["repaired_fullwidth_at"]),
        ("anna@gmail.com.", "anna@gmail.com", ["repaired_trailing_dot"]),
        ("anna@gmail.com;", "anna@gmail.com", ["repaired_trailing_dot"]),
        ("not an address.", "not an address.", []),
        ("", None, []),
        ("   ", None, ["repaired_whitespace"]),
        (None, None, []),
    ],
)
def test_repairs(cell, address, codes):
    got_address, got_codes, alternates = repaired(cell)
    assert got_address == address
    assert got_codes == codes
    assert alternates == []


@pytest.mark.parametrize(
    ("cell", "first", "others"),
    [
        ("a@x.com; b@y.com", "a@x.com", ["b@y.com"]),
        ("a@x.com,b@y.com, c@z.com", "a@x.com", ["b@y.com", "c@z.com"]),
        ("A <a@x.com>, B <b@y.com>", "a@x.com", ["b@y.com"]),
        ("a@x.com b@y.com", "a@x.com", ["b@y.com"]),
    ],
)
def test_several_addresses_in_one_cell_are_flagged_and_kept(cell, first, others):
    address, codes, alternates = repaired(cell)
    assert address == first
    assert "multiple_addresses" in codes
    assert alternates == others


@given(st.text(max_size=40))
def test_a_repaired_address_has_no_stray_spaces_or_invisible_characters(text):
    from listclean.text import INVISIBLE

    address, codes, _ = repaired(text)
    if address is None:
        return
    assert address == address.strip()
    assert not any(char in INVISIBLE or char == "\u00a0" for char in address)
    if address != text:
        assert codes, "a changed cell must say why"
