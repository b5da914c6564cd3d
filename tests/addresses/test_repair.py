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


_CHARS = st.sampled_from(list("aZ9.@+-_ ,;:<>\"'%\t\n") + ["ü", "и", "例", "\u200b", "\u00a0", "\u3000", "\u2028", "\u0085", "＠", "\x00", "\x85"]) | st.characters()


@given(st.lists(st.text(_CHARS, max_size=20), max_size=20))
def test_cells_skipped_as_needing_no_repair_are_those_every_step_leaves_alone(cells):
    """The shortcut for clean cells (ASCII or internationalised) answers as the full repair would."""
    from listclean.email.repair import _repair_steps

    frame = pl.DataFrame({"cell": cells}, schema={"cell": pl.String}).with_row_index("__i")
    full = _repair_steps(frame).drop("__i")
    assert repair(frame, pl.col("cell")).to_dicts() == full.to_dicts()


def test_an_internationalised_address_needs_no_repair():
    assert repaired("jürgen@müller.de") == ("jürgen@müller.de", [], [])
    assert repaired("иван@пример.рф") == ("иван@пример.рф", [], [])
    # An ideographic space is not left in place unrecorded (it becomes a space, which syntax then refuses).
    assert repaired("иван\u3000@пример.рф") == ("иван @пример.рф", ["repaired_invisible"], [])
