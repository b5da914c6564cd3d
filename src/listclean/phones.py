"""Phone numbers to E.164, vectorised where the answer is certain.

`phonenumbers` (Google's libphonenumber metadata) is the authority, but it costs ~80 µs a
number in pure Python: on a million distinct phones that is most of an import. So, as
`email.syntax` does for addresses, the common shapes are decided with Polars expressions
that replay exactly what `phonenumbers.parse` + `is_valid_number` would do, using the same
metadata patterns; every number the fast path cannot prove valid goes to the library,
once per distinct (number, region). Where a step is not replayed (IDD prefixes, national
prefixes with capture groups, non-geographic codes, other characters) the number simply
goes to the library, so a gap costs time, not accuracy.
`tests/phones/test_phones.py` checks it against the library on a generated corpus.

What the fast path replays (phonenumberutil.parse, v8/v9):
  - text made only of digits, spaces, dots, dashes and brackets, optionally led by `+`;
    a leading `00` is read as `+` (as listclean always has);
  - international: the calling code is the 1-3 digit prefix that is a known code
    (codes are prefix-free); the rest is read with the code's main region metadata;
  - national (no `+`): read with the row's region, unless the digits start with that
    region's international prefix or its calling code (both rare, both handed over);
  - national prefix stripping (`national_prefix_for_parsing` without capture groups or
    transform rule), including the keep-the-original-if-viable rule and the length test;
  - region_code_for_number + is_valid_number (general pattern and lengths, then any number
    type), including the `leading_digits` rule of shared calling codes such as +1 and +7.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

E164 = r"^\+[1-9][0-9]{5,14}$"  # a number in E.164, as written: + and 6 to 15 digits
_SHAPE = r"^(?:\+|00)?[0-9 ().\-]*[0-9][0-9 ().\-]*$"
_BARE_INTERNATIONAL = r"^[1-9][0-9]{10,14}$"  # digits only, no separators: a number written without its "+"
_TYPE_FIELDS = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number",
    "pager", "uan", "voicemail", "fixed_line", "mobile",
)  # fmt: skip


@dataclass(frozen=True)
class Pattern:
    """One metadata number description: a full-match pattern and the lengths it allows."""

    regex: str
    lengths: tuple[int, ...]

    def matches(self, digits: pl.Expr) -> pl.Expr:
        ok = digits.str.contains(f"^(?:{self.regex})$")
        return ok & digits.str.len_chars().is_in(list(self.lengths)) if self.lengths else ok


@dataclass(frozen=True)
class Region:
    """What the fast path needs of one region's metadata."""

    code: str
    calling_code: int
    international_prefix: str | None
    national_prefix: str | None  # national_prefix_for_parsing, only when simple (no groups/transform)
    national_prefix_complex: bool
    general: Pattern
    possible_lengths: tuple[int, ...]
    local_only_lengths: tuple[int, ...]
    types: tuple[Pattern, ...]
    leading_digits: str | None


@cache
def calling_codes() -> dict[int, tuple[str, ...]]:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    return {code: tuple(regions) for code, regions in COUNTRY_CODE_TO_REGION_CODE.items()}


@cache
def region(code: str) -> Region | None:
    """Fast-path metadata of a geographic region (ISO alpha-2), or None if it has none usable."""
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(code, None)
    if metadata is None:
        return None
    general = metadata.general_desc
    if general is None or not general.national_number_pattern or not general.possible_length:
        return None
    prefix = metadata.national_prefix_for_parsing or None
    complex_prefix = bool(prefix) and (re.compile(prefix).groups > 0 or bool(metadata.national_prefix_transform_rule))
    types = []
    for field in _TYPE_FIELDS:
        desc = getattr(metadata, field)
        if desc is not None and desc.national_number_pattern:
            types.append(Pattern(desc.national_number_pattern, tuple(desc.possible_length)))
    return Region(
        code=code,
        calling_code=metadata.country_code,
        international_prefix=metadata.international_prefix,
        national_prefix=prefix,
        national_prefix_complex=complex_prefix,
        general=Pattern(general.national_number_pattern, tuple(general.possible_length)),
        possible_lengths=tuple(sorted(general.possible_length)),
        local_only_lengths=tuple(general.possible_length_local_only),
        types=tuple(types),
        leading_digits=metadata.leading_digits,
    )


def _strip_national_prefix(digits: pl.Expr, meta: Region) -> tuple[pl.Expr, pl.Expr]:
    """(national significant number, decidable) after parse's national-prefix step."""
    import polars as pl

    if meta.national_prefix is None:
        return digits, pl.lit(True)
    prefix = digits.str.extract(f"^({meta.national_prefix})", 1)
    if meta.national_prefix_complex:
        return digits, prefix.is_null()
    stripped = digits.str.slice(prefix.str.len_chars())
    general = f"^(?:{meta.general.regex})$"
    keep_original = digits.str.contains(general) & ~stripped.str.contains(general)
    length = stripped.str.len_chars()
    lengths = meta.possible_lengths
    possible = ~length.is_in(list(meta.local_only_lengths)) & (
        (length > lengths[-1]) | length.is_in(list(lengths))
    )
    use_stripped = prefix.is_not_null() & ~keep_original & possible
    return pl.when(use_stripped).then(stripped).otherwise(digits), pl.lit(True)


def _is_valid(nsn: pl.Expr, calling_code: int) -> pl.Expr | None:
    """is_valid_number for numbers with this calling code; None if the fast path cannot say.

    Replays region_code_for_number: a lone region is taken as is; in a shared code the
    first region whose `leading_digits` match, or (without them) whose patterns match,
    is chosen, and the number is valid if it matches a number type of that region.
    """
    import polars as pl

    codes = calling_codes().get(calling_code, ())
    if not codes or "001" in codes:
        return None
    regions = [meta for meta in (region(code) for code in codes) if meta is not None]
    if not regions:
        return None

    def valid_in(meta: Region) -> pl.Expr:
        if not meta.types:
            return pl.lit(False)
        # Types that allow the same lengths share one alternation: one regex pass, not ten.
        by_lengths: dict[tuple[int, ...], list[str]] = {}
        for kind in meta.types:
            by_lengths.setdefault(kind.lengths, []).append(f"(?:{kind.regex})")
        merged = [Pattern("|".join(regexes), lengths).matches(nsn) for lengths, regexes in by_lengths.items()]
        return meta.general.matches(nsn) & pl.any_horizontal(merged)

    length = nsn.str.len_chars()
    if len(regions) == 1:
        valid = valid_in(regions[0])
    else:
        choices = []
        for meta in regions:
            chosen = nsn.str.contains(f"^(?:{meta.leading_digits})") if meta.leading_digits else valid_in(meta)
            choices.append(pl.when(chosen.fill_null(False)).then(valid_in(meta)))
        valid = pl.coalesce(*choices)
    return ((length >= 2) & (length <= 17) & valid).fill_null(False)


def fast_e164(pairs: pl.DataFrame) -> pl.Series:
    """What `library_e164` would answer, for each (text, region) row the fast path can decide.

    The E.164 string for a valid number, the text itself for an invalid one, null where
    the row needs the library.
    `pairs` has columns `text` (trimmed phone text, `tel:` removed) and `region`
    (ISO alpha-2 or null). Work is one vectorised pass per (region, calling code) present,
    so a few hundred at most.
    """
    import polars as pl

    codes = calling_codes()
    by_length = {n: [str(c) for c in codes if len(str(c)) == n] for n in (1, 2, 3)}
    text = pl.col("text")
    international = text.str.starts_with("+") | text.str.starts_with("00")
    # Staged columns: eager frames evaluate a repeated sub-expression once per use.
    work = pairs.with_row_index("__row").with_columns(
        __shape=text.str.contains(_SHAPE).fill_null(False),
        __international=international.fill_null(False),
        __digits=pl.when(text.str.starts_with("00")).then(text.str.slice(2)).otherwise(text).str.replace_all(r"[^0-9]", ""),
    )
    digits = pl.col("__digits")
    work = work.with_columns(
        __code=pl.coalesce(*[pl.when(digits.str.slice(0, n).is_in(by_length[n])).then(digits.str.slice(0, n)) for n in (1, 2, 3)])
    )
    work = work.with_columns(
        __parse_region=pl.when(pl.col("__international"))
        .then(pl.col("__code").cast(pl.Int64, strict=False).replace_strict(_main_regions(), default=None, return_dtype=pl.String))
        .otherwise(pl.col("region").str.to_uppercase()),
        __national=pl.when(pl.col("__international")).then(digits.str.slice(pl.col("__code").str.len_chars())).otherwise(digits),
    ).filter(pl.col("__shape") & pl.col("__parse_region").is_not_null())

    answers = []
    for (parse_region,), group in work.partition_by("__parse_region", as_dict=True).items():
        meta = region(str(parse_region))
        if meta is None:
            continue
        national = pl.col("__national")
        decidable = pl.col("__international") | (
            ~national.str.starts_with(str(meta.calling_code))
            & ~national.str.contains(f"^(?:{meta.international_prefix or 'NonMatch'})")
        )
        valid = _is_valid(pl.col("__nsn"), meta.calling_code)
        if valid is None:
            continue
        nsn, prefix_ok = _strip_national_prefix(national, meta)
        group = group.with_columns(__nsn=nsn, __decided=(decidable & prefix_ok).fill_null(False))
        answers.append(
            group.filter(pl.col("__decided")).select(
                "__row",
                __e164=pl.when(valid)
                .then(pl.concat_str(pl.lit(f"+{meta.calling_code}"), pl.col("__nsn")))
                # An invalid bare run of digits may be an international number without its "+":
                # the library decides (see library_e164).
                .when(~pl.col("__international") & pl.col("text").str.contains(_BARE_INTERNATIONAL))
                .then(pl.lit(None, dtype=pl.String))
                .otherwise(pl.col("text")),
            )
        )
    answer = pl.repeat(None, pairs.height, dtype=pl.String, eager=True).alias("__e164")
    if answers:
        found = pl.concat(answers)
        answer = answer.scatter(found["__row"], found["__e164"])  # a new Series: writing in place is safe
    return answer


@cache
def _main_regions() -> dict[int, str]:
    return {code: regions[0] for code, regions in calling_codes().items() if regions and regions[0] != "001"}


def library_e164(phone: str | None, region_code: str | None) -> str | None:
    """E.164 by phonenumbers itself; the input text unchanged where it is not a valid number."""
    import phonenumbers

    if phone is None:
        return None
    text = phone.strip()
    candidate = "+" + text[2:] if text.startswith("00") else text
    try:
        number = phonenumbers.parse(candidate, region_code if region_code else None)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if re.fullmatch(_BARE_INTERNATIONAL, text):
        # A bare international number (a spreadsheet drops the "+": 447700900123) that is no
        # number of the row's country but is one with its country code read as such.
        try:
            international = phonenumbers.parse("+" + text, None)
        except phonenumbers.NumberParseException:
            return phone
        if phonenumbers.is_valid_number(international):
            return phonenumbers.format_number(international, phonenumbers.PhoneNumberFormat.E164)
    return phone


def e164(pairs: pl.DataFrame) -> pl.Series:
    """E.164 for every (text, region) row: fast path first, the library once per distinct rest.

    Phones are mostly distinct, so rows are worked on as they are; a column that repeats
    (judged on a sample) is worked on once per distinct pair and joined back.
    """
    import polars as pl

    sample = pairs.head(20_000)
    if sample.n_unique() * 2 > sample.height:
        return _e164_rows(pairs)
    distinct = pairs.unique(maintain_order=False)
    distinct = distinct.with_columns(_e164_rows(distinct).alias("__e164"))
    joined = pairs.join(distinct, on=["text", "region"], how="left", nulls_equal=True, maintain_order="left")
    return joined["__e164"]


def _e164_rows(pairs: pl.DataFrame) -> pl.Series:
    import polars as pl

    answer = fast_e164(pairs)
    undecided = (answer.is_null() & pairs["text"].is_not_null()).arg_true()
    if undecided.len():
        rest = pairs.select(pl.all().gather(undecided)).with_row_index("__at")
        distinct = rest.select("text", "region").unique(maintain_order=True)
        slow = [library_e164(text, code) for text, code in distinct.iter_rows()]
        distinct = distinct.with_columns(pl.Series("__e164", slow, dtype=pl.String))
        filled = rest.join(distinct, on=["text", "region"], how="left", nulls_equal=True).sort("__at")
        answer = answer.scatter(undecided, filled["__e164"])  # fast_e164's own Series: safe to write in place
    return answer


_SPECIAL_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")


def sms_capable(numbers: pl.Series) -> pl.Series:
    """Whether each E.164 number can take a text message: phonenumbers.number_type says MOBILE or
    FIXED_LINE_OR_MOBILE (a landline, a toll-free or premium number cannot). Null or not E.164:
    False. Vectorised per calling code where the code is one region's (the metadata's patterns,
    as number_type reads them); numbers of a shared code (+1, +44 …) go to the library once per
    distinct number."""
    import polars as pl

    frame = pl.DataFrame({"number": numbers.cast(pl.String)}).with_row_index("__row")
    e164 = pl.col("number").str.contains(E164).fill_null(False)
    frame = frame.with_columns(e164.alias("__e164"))
    codes = calling_codes()
    code_of = pl.lit(None, dtype=pl.Int64)
    for width in (3, 2, 1):  # calling codes are prefix-free: at most one width is a known code
        candidate = pl.col("number").str.slice(1, width).cast(pl.Int64, strict=False)
        code_of = pl.when(candidate.is_in(list(codes))).then(candidate).otherwise(code_of)
    frame = frame.with_columns(pl.when(pl.col("__e164")).then(code_of).alias("__code"))
    answers = [frame.filter(pl.col("__code").is_null()).select("__row", pl.lit(False).alias("ok"))]
    for code in frame["__code"].drop_nulls().unique().to_list():
        group = frame.filter(pl.col("__code") == code)
        nsn = pl.col("number").str.slice(1 + len(str(code)))
        regions = codes.get(code, ())
        expression = _mobile_expression(nsn, regions[0]) if len(regions) == 1 else None
        if expression is None:
            distinct = group.select(pl.col("number").unique())
            ok = [_library_sms_capable(number) for number in distinct["number"].to_list()]
            table = distinct.with_columns(pl.Series("ok", ok, dtype=pl.Boolean))
            answers.append(group.join(table, on="number", how="left").select("__row", "ok"))
        else:
            answers.append(group.select("__row", expression.fill_null(False).alias("ok")))
    joined = pl.concat(answers).sort("__row")
    return joined["ok"].alias(numbers.name)


def _mobile_expression(nsn: pl.Expr, region_code: str) -> pl.Expr | None:
    """number_type in (MOBILE, FIXED_LINE_OR_MOBILE) for the national numbers of a lone region."""
    import polars as pl
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region_code, None)
    if metadata is None or metadata.general_desc is None or not metadata.general_desc.national_number_pattern:
        return None

    def matches(field: str) -> pl.Expr | None:
        desc = getattr(metadata, field)
        if desc is None or not desc.national_number_pattern:
            return None
        return Pattern(desc.national_number_pattern, tuple(desc.possible_length)).matches(nsn)

    mobile = matches("mobile")
    if mobile is None:
        return pl.lit(False)
    general = Pattern(metadata.general_desc.national_number_pattern, ()).matches(nsn)
    special = [expression for expression in (matches(field) for field in _SPECIAL_TYPES) if expression is not None]
    not_special = ~pl.any_horizontal(special) if special else pl.lit(True)
    return general & not_special & mobile


def _library_sms_capable(number: str) -> bool:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
