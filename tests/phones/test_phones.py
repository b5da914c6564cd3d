"""Phones: the vectorised fast path answers exactly what phonenumbers answers, or defers."""

from __future__ import annotations

import random

import phonenumbers
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from listclean import phones

FORMATS = (
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
)
TYPES = (
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.VOIP,
)


def corpus(seed: int = 7) -> list[tuple[str, str | None]]:
    """Every region's example numbers in every format, read with their own region, another
    region and none, plus mutants (a digit changed, dropped or added) that are mostly invalid."""
    rng = random.Random(seed)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    rows: list[tuple[str, str | None]] = []
    for region in regions:
        for kind in TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for style in FORMATS:
                text = phonenumbers.format_number(number, style)
                variants = [text, text.replace(" ", "-"), "00" + text[1:] if text.startswith("+") else "(" + text + ")"]
                digits = [i for i, ch in enumerate(text) if ch.isdigit()]
                for _ in range(3):
                    i = rng.choice(digits)
                    variants.append(text[:i] + str(rng.randrange(10)) + text[i + 1 :])
                variants.append(text[: digits[-1]])
                variants.append(text + str(rng.randrange(10)))
                for variant in variants:
                    rows.extend([(variant, region), (variant, rng.choice(regions)), (variant, None)])
    return rows


def compare(rows: list[tuple[str, str | None]]) -> tuple[int, int]:
    pairs = pl.DataFrame(rows, schema={"text": pl.String, "region": pl.String}, orient="row")
    fast = phones.fast_e164(pairs)
    wrong = []
    decided = 0
    for (text, region), answer in zip(rows, fast.to_list()):
        if answer is None:
            continue
        decided += 1
        expected = phones.library_e164(text, region)
        if answer != expected:
            wrong.append((text, region, answer, expected))
    assert not wrong, wrong[:10]
    return decided, len(rows)


def test_fast_path_agrees_with_phonenumbers_on_every_region_and_format():
    decided, total = compare(corpus())
    # A fast path that defers everything would pass the comparison: it must do the bulk.
    assert decided / total > 0.8, (decided, total)


def test_valid_numbers_in_common_formats_are_decided_without_the_library():
    number = phonenumbers.parse("+44 20 7946 0958")
    rows = [("+44 20 7946 0958", None), ("020 7946 0958", "GB"), ("0044 20 7946 0958", "DE"), ("+44 (0)20 7946 0958", None)]
    answers = phones.fast_e164(pl.DataFrame(rows, schema={"text": pl.String, "region": pl.String}, orient="row"))
    assert phonenumbers.is_valid_number(number)
    assert answers.to_list()[:3] == ["+442079460958"] * 3
    # "(0)" inside an international number: phonenumbers strips the national prefix too.
    assert answers[3] in (None, "+442079460958")


def test_shared_calling_codes_follow_the_region_rules():
    rows = [("+1 416 555 0123", None), ("(212) 555-0123", "US"), ("+7 701 123 4567", None), ("+7 912 345 6789", "RU")]
    compare(rows)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="0123456789 +-().", min_size=1, max_size=20),
            st.sampled_from([None, "US", "GB", "DE", "PL", "FR", "IT", "BR", "IN", "RU", "CN", "JP", "AR", "MX", "XX"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_fast_path_never_contradicts_phonenumbers_on_arbitrary_text(rows):
    compare(rows)


def test_e164_fills_every_row_and_keeps_what_is_not_a_number():
    pairs = pl.DataFrame(
        {"text": ["+48 600 700 800", "call me", None, "+48 600 700 800", "12"], "region": [None, "PL", "PL", None, "PL"]}
    )
    assert phones.e164(pairs).to_list() == ["+48600700800", "call me", None, "+48600700800", "12"]
