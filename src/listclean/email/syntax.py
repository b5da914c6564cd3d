"""Address syntax: email-validator's verdict and normalised form, decided mostly in Polars.

email-validator (with deliverability checks off and its default options) is the
reference: for every address this module returns the same verdict and the same
`normalized` string as `email_validator.validate_email(address, check_deliverability=False)`.
A differential test holds it to that on a large generated corpus.

Most real addresses are plain ASCII dot-atoms at ASCII host names; for those the
verdict and the normalised form follow from a few vectorised expressions (the
rules below restate email-validator's for that case, using its own constants).
A dot-atom local part — ASCII or internationalised — at any other domain is judged
by restating email-validator's local-part rules and checking the domain once per
distinct domain (composed_path). Only the distinct addresses neither can decide —
quotes, display names, local parts that are invalid or not in NFC — are passed
to email-validator, once each.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

# RFC 5322 atext, as email-validator's rfc_constants.ATEXT (the '-' escaped for the Rust regex class).
_ATEXT = r"A-Za-z0-9_!#$%&'*+/=?^`{|}~\-"
_LOCAL = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# At least two labels; the last ends with a letter (email-validator: "all TLDs end with a letter").
_TOP = r"(?:[A-Za-z0-9][A-Za-z0-9-]*)?[A-Za-z]"
FAST_ADDRESS = rf"^{_LOCAL}@(?:{_LABEL}\.)+{_TOP}$"
_LONG_LABEL = r"[A-Za-z0-9-]{64,}"
# RFC 6531's internationalised dot-atom, as email-validator's DOT_ATOM_TEXT_INTL (any code point
# from U+0080 is atext; Python's surrogates cannot occur in a Polars string).
_ATEXT_INTL = _ATEXT + r"\x{80}-\x{10FFFF}"
_LOCAL_INTL = rf"[{_ATEXT_INTL}]+(?:\.[{_ATEXT_INTL}]+)*"

# Output columns of judge_syntax.
COLUMNS = ("address", "syntax_ok", "normalized", "ascii_domain", "local_part", "syntax_reason")
ORDER = "__first_at"  # an address's place among the distinct addresses, while judge_syntax works

# email-validator's messages -> our stable codes (first match wins; the message text is
# the library's, so this table is checked by the differential test's reason coverage).
_MESSAGE_CODES = (
    (re.compile(r"must have an @-sign|at-sign|commercial at"), "no_at_sign"),
    (re.compile(r"something before the @-sign"), "empty_local_part"),
    (re.compile(r"something after the @-sign"), "empty_domain"),
    (re.compile(r"too long|so many characters"), "too_long"),
    (re.compile(r"should have a period"), "domain_without_dot"),
    (re.compile(r"special-use or reserved"), "reserved_domain"),
    (re.compile(r"period|hyphen"), "misplaced_dot"),
    (re.compile(r"Quoting the part before"), "quoted_local_part"),
    # A display name's angle brackets that do not pair up (Name <a@b.com, text after the >) are
    # characters an address cannot hold, not a domain literal.
    (re.compile(r"angle bracket|anything after the email address"), "invalid_characters"),
    (re.compile(r"bracket"), "domain_literal"),
    (re.compile(r"IDNA|top-level domain|two letters followed by two dashes|is invalid \("), "invalid_domain"),
    (re.compile(r"character|Internationalized"), "invalid_characters"),
)


def reason_for(message: str) -> str:
    for pattern, code in _MESSAGE_CODES:
        if pattern.search(message):
            return code
    return "syntax"


def _special_use_domains() -> list[str]:
    import email_validator

    return list(email_validator.SPECIAL_USE_DOMAIN_NAMES)


def _folded_local(local: pl.Expr) -> pl.Expr:
    """The local part as email-validator normalises an ASCII one: RFC 2142 names (Info, SALES...) lower-cased."""
    import polars as pl
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

    lowered = local.str.to_lowercase()
    return pl.when(lowered.is_in(list(CASE_INSENSITIVE_MAILBOX_NAMES))).then(lowered).otherwise(local)


def local_and_domain(addresses: pl.Series) -> pl.DataFrame:
    """Columns `local` (the text before the last @, as ``^(.*)@``) and `domain` (after it, as
    ``@([^@]*)$``), null without an @: split at the @ where there is one (almost every address),
    by the regexes only for the few with several."""
    import polars as pl

    parts = addresses.str.split_exact("@", 1)
    local = parts.struct.field("field_0").alias("local")
    domain = parts.struct.field("field_1").alias("domain")
    at_signs = addresses.str.count_matches("@", literal=True)
    none = (at_signs == 0).fill_null(True)
    local, domain = local.set(none, None), domain.set(none, None)
    several = (at_signs > 1).fill_null(False)
    if several.any():
        rows = several.arg_true()
        odd = addresses.gather(rows)
        local = local.scatter(rows, odd.str.extract(r"^(.*)@", 1))
        domain = domain.scatter(rows, odd.str.extract(r"@([^@]*)$", 1))
    # (.*) stops at a line break: a local part holding one is not what ^(.*)@ reads.
    broken = local.str.contains("\n", literal=True).fill_null(False)
    if broken.any():
        local = local.set(broken, None).scatter(broken.arg_true(), addresses.filter(broken).str.extract(r"^(.*)@", 1))
    return pl.DataFrame([local, domain])


def fast_path(addresses: pl.DataFrame) -> pl.DataFrame:
    """Add `decided`, `syntax_ok`, `normalized`, `ascii_domain`, `local_part` where a rule can decide.

    `decided` is true for plain ASCII addresses the rules settle (valid, or clearly without an
    @-sign); the rest need email-validator.
    """
    import polars as pl

    address = pl.col("address")
    # The parts are only read where the address has the plain shape (one @).
    staged = split_at_first_at(addresses).with_columns(
        pl.col("__domain").str.to_lowercase(),
        (address.str.contains(FAST_ADDRESS) & (address.str.len_bytes() <= 254)).alias("__shape"),
        (~address.str.contains("@", literal=True)).alias("__no_at"),
    )
    # The domain's own rules, once per distinct domain (a list has few): too long, R-LDH and
    # punycode labels (email-validator decides those), a label over 63 characters, special use.
    domain = pl.col("__domain")
    special = _special_use_domains()
    is_special = domain.is_in(special) | domain.str.contains(r"\.(?:" + "|".join(map(re.escape, special)) + r")$")
    refused = (domain.str.len_bytes() > 253) | domain.str.contains("--") | domain.str.contains(_LONG_LABEL) | is_special
    domains = staged.select(domain.filter(pl.col("__shape")).unique())
    not_plain = domains.filter(refused)["__domain"]
    staged = staged.with_columns(
        (pl.col("__shape") & ~domain.is_in(not_plain.implode())).alias("__plain"),
        _folded_local(pl.col("__local")).alias("__folded"),
    )
    plain, no_at = pl.col("__plain"), pl.col("__no_at")
    return staged.with_columns(
        decided=plain | no_at,
        syntax_ok=pl.when(plain).then(True).when(no_at).then(False),
        normalized=pl.when(plain).then(pl.concat_str(pl.col("__folded"), pl.lit("@"), domain)),
        ascii_domain=pl.when(plain).then(domain),
        local_part=pl.when(plain).then(pl.col("__folded")),
        syntax_reason=pl.when(no_at & ~plain).then(pl.lit("no_at_sign")),
    ).drop("__local", "__domain", "__shape", "__no_at", "__plain", "__folded")


PARALLEL_FROM = 40_000  # distinct addresses from which email-validator runs in worker processes
_PARALLEL_PIECES = 4  # pieces per worker: a slow piece does not hold the others up


def slow_path(addresses: list[str]) -> dict[str, list]:
    """email-validator on each address (distinct values only): the columns of judge_syntax.

    It is pure Python, one address at a time: past PARALLEL_FROM addresses (an internationalised
    list's Unicode mailboxes) the work is split over worker processes, one per core
    (LISTCLEAN_WORKERS sets how many; 1: none), spawned so no thread state of the parent is
    copied, and the answers put back in order. Where workers cannot start (a program read from
    stdin, a sandbox without process creation) the addresses are judged here, one at a time."""
    import os

    # Spawned workers re-import the caller's main module: the command line's is guarded, a user's
    # script may not be. So the Python API judges in-process unless LISTCLEAN_WORKERS says
    # otherwise (a number, or "auto": one per core), and the command line sets "auto" for itself.
    setting = os.environ.get("LISTCLEAN_WORKERS", "").strip().lower()
    workers = int(setting) if setting.isdigit() else min(os.cpu_count() or 1, 8) if setting == "auto" else 1
    if len(addresses) < PARALLEL_FROM or workers < 2:
        return _slow_path_serial(addresses)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    size = -(-len(addresses) // (workers * _PARALLEL_PIECES))
    pieces = [addresses[start : start + size] for start in range(0, len(addresses), size)]
    out: dict[str, list] = {name: [] for name in COLUMNS}
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = list(pool.map(_slow_path_serial, pieces))
    except (BrokenProcessPool, OSError, RuntimeError):
        return _slow_path_serial(addresses)
    for part in parts:
        for name in COLUMNS:
            out[name].extend(part[name])
    return out


def _slow_path_serial(addresses: list[str]) -> dict[str, list]:
    from email_validator import EmailNotValidError, validate_email

    out: dict[str, list] = {name: [] for name in COLUMNS}
    for address in addresses:
        try:
            result = validate_email(address, check_deliverability=False)
        except EmailNotValidError as error:
            row = (address, False, None, None, None, reason_for(str(error)))
        else:
            row = (address, True, result.normalized, result.ascii_domain, result.local_part, None)
        for name, value in zip(COLUMNS, row):
            out[name].append(value)
    return out


def judge_domains(domains: list[str]) -> dict[str, list]:
    """email-validator's domain check on each distinct domain: (domain, ok, unicode, ascii, reason)."""
    import email_validator
    from email_validator import EmailNotValidError
    from email_validator.syntax import validate_email_domain_name

    out: dict[str, list] = {"__domain": [], "__domain_ok": [], "__unicode": [], "__ascii": [], "__domain_reason": []}
    for domain in domains:
        if not domain:  # validate_email says so before it looks at the domain
            for name, value in zip(out, (domain, False, None, None, "empty_domain")):
                out[name].append(value)
            continue
        try:
            result = validate_email_domain_name(
                domain, test_environment=email_validator.TEST_ENVIRONMENT, globally_deliverable=email_validator.GLOBALLY_DELIVERABLE
            )
        except EmailNotValidError as error:
            row = (domain, False, None, None, reason_for(str(error)))
        else:
            row = (domain, True, result["domain"], result["ascii_domain"], None)
        for name, value in zip(out, row):
            out[name].append(value)
    return out


def _unsafe_characters(local_parts: pl.Series) -> tuple[str | None, str | None]:
    """Regex classes of the characters email-validator's check_unsafe_chars refuses in a dot-atom
    local part, among those these local parts hold: (anywhere, at the start) — or None when
    there are none.

    The categories are asked of this Python's unicodedata, once per distinct non-ASCII
    character, exactly as email-validator asks them: so a character unassigned in this Python's
    Unicode version (a newer emoji) is refused here as it is there, whatever Unicode version
    the regex engine knows."""
    import unicodedata

    characters = local_parts.str.extract_all(r"[^\x00-\x7F]").explode().drop_nulls().unique().to_list()
    anywhere = [c for c in characters if unicodedata.category(c)[0] not in "LNPSM"]
    first = [c for c in characters if unicodedata.category(c)[0] == "M"]  # combining: not first

    def regex_class(chars: list[str]) -> str | None:
        return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]" if chars else None

    return regex_class(anywhere), regex_class(first)


def split_at_first_at(addresses: pl.DataFrame) -> pl.DataFrame:
    """`__local` (before the first @: ``^([^@]*)@``) and `__domain` (all after it), both null
    without an @ — where email-validator splits an address with no quote or angle bracket."""
    import polars as pl

    # Split once: the struct is unnested, not split again for each field.
    split = addresses.with_columns(pl.col("address").str.splitn("@", 2).struct.rename_fields(["__local", "__domain"]).alias("__parts")).unnest("__parts")
    return split.with_columns(pl.when(pl.col("__domain").is_not_null()).then(pl.col("__local")).alias("__local"))


def composable(split: pl.DataFrame) -> pl.Series:
    """Whether email-validator would accept the address's local part on its own, so that only the
    domain is left to check: a dot-atom before the first @ (split_at_first_at) — ASCII
    (DOT_ATOM_TEXT) or internationalised (DOT_ATOM_TEXT_INTL) with no character
    check_unsafe_chars refuses, and already in NFC (else email-validator re-checks the
    normalised form) — and no domain literal.

    With no quote and no angle bracket before the first @, email-validator's split_email splits
    there (an @ composes with nothing under NFC)."""
    import polars as pl

    local = pl.col("__local")
    frame = split.select(
        local,
        local.str.contains(rf"^{_LOCAL_INTL}$").fill_null(False).alias("dot_atom"),
        local.str.contains(r"[^\x00-\x7F]").fill_null(False).alias("intl"),
        pl.col("address").str.contains(r"@\[.*\]$").alias("literal"),
    )
    anywhere, first = _unsafe_characters(frame.filter(pl.col("dot_atom") & pl.col("intl"))["__local"])
    # An ASCII dot-atom is DOT_ATOM_TEXT: nothing below can refuse it.
    safe = ~pl.col("intl") | (local.str.normalize("NFC") == local)
    if anywhere:
        safe = safe & ~local.str.contains(anywhere)
    if first:
        safe = safe & ~local.str.contains("^" + first)
    return frame.select((pl.col("dot_atom") & safe.fill_null(False) & ~pl.col("literal")).alias("composable")).to_series()


def composed_path(split: pl.DataFrame) -> pl.DataFrame:
    """Addresses whose local part email-validator accepts as it stands (see composable), at any
    domain (international, punycode...): email-validator checks such a local part on its own and
    the domain on its own, so the domain is checked once per distinct domain and the verdict
    composed — exactly as validate_email does: local part as is (an ASCII one's RFC 2142 names
    lower-cased; a Unicode one needs SMTPUTF8 and is never folded), the domain's normalised form,
    then the three length checks on the original, normalised and ASCII-domain forms (254 bytes each)."""
    import polars as pl

    staged = split.with_columns(pl.col("__domain").fill_null(""))
    distinct = staged["__domain"].unique().sort().to_list()
    table = pl.DataFrame(judge_domains(distinct), schema={
        "__domain": pl.String, "__domain_ok": pl.Boolean, "__unicode": pl.String, "__ascii": pl.String, "__domain_reason": pl.String,
    })
    ascii_local = ~pl.col("__local").str.contains(r"[^\x00-\x7F]")
    staged = staged.join(table, on="__domain", how="left").with_columns(
        pl.when(ascii_local).then(_folded_local(pl.col("__local"))).otherwise(pl.col("__local")).alias("__folded")
    )
    staged = staged.with_columns(pl.concat_str(pl.col("__folded"), pl.lit("@"), pl.col("__unicode")).alias("__normalized"))
    normalized = pl.col("__normalized")
    ascii_bytes = pl.col("__folded").str.len_bytes() + 1 + pl.col("__ascii").str.len_bytes()
    fits = (pl.col("address").str.len_bytes() <= 254) & (normalized.str.len_bytes() <= 254) & (ascii_bytes <= 254)
    ok = pl.col("__domain_ok") & fits
    return staged.select(
        "address",
        ok.alias("syntax_ok"),
        pl.when(ok).then(normalized).alias("normalized"),
        pl.when(ok).then(pl.col("__ascii")).alias("ascii_domain"),
        pl.when(ok).then(pl.col("__folded")).alias("local_part"),
        pl.when(~pl.col("__domain_ok")).then(pl.col("__domain_reason")).when(~fits).then(pl.lit("too_long")).alias("syntax_reason"),
        *([pl.col(ORDER)] if ORDER in staged.columns else []),
    )


def judge_syntax(addresses: pl.Series) -> pl.DataFrame:
    """One row per distinct non-null address, in the order they first occur: verdict, normalised
    form, ASCII domain, reason, and `fast`: whether it was decided without a per-address
    email-validator call (by the vectorised rules, or composed from a per-domain check) — else
    email-validator judged it whole. (In that order, a caller whose addresses are all distinct
    can put the verdicts beside its rows without a join.)"""
    import polars as pl

    # (A filter on first occurrences costs half an ordered unique.)
    distinct = pl.DataFrame({"address": addresses.cast(pl.String)}).drop_nulls().filter(pl.col("address").is_first_distinct())
    judged = fast_path(distinct.with_row_index(ORDER))
    decided = judged.filter(pl.col("decided")).select(*COLUMNS, ORDER)
    undecided = split_at_first_at(judged.filter(~pl.col("decided")).select("address", ORDER))
    by_parts = composable(undecided)
    composed = composed_path(undecided.filter(by_parts)).select(*COLUMNS, ORDER)
    rest = undecided.filter(~by_parts)
    slow = pl.DataFrame(slow_path(rest["address"].to_list()), schema=decided.drop(ORDER).schema).with_columns(rest[ORDER])
    parts = [decided.with_columns(fast=pl.lit(True)), composed.with_columns(fast=pl.lit(True)), slow.with_columns(fast=pl.lit(False))]
    used = [part for part in parts if part.height]
    if len(used) <= 1:  # all decided one way: already in order
        return (used or parts)[0].drop(ORDER)
    return pl.concat(used, how="vertical").sort(ORDER).drop(ORDER)
