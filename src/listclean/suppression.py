"""Suppression lists: addresses (or their hashes) that must never be mailed, whatever a source says.

A list is any file listclean can read: a plain list of addresses one per line, a CSV
or spreadsheet with an email column (mapped like any import), or hashes — hex SHA-256
(as ad platforms and erasure records keep them) or MD5 (Mailchimp's subscriber hash)
of the trimmed, lower-cased address.

Every place that decides suppression (export, segment --split-dir, validate, the store,
erase, the --suppress lists, run) compares addresses in ONE form, `suppression_key`:

1. the address as validate's repair reads it (`normalised_address`): invisible characters
   removed, odd spaces made plain, trimmed; `Name <addr>` unwrapped, `mailto:` (any case,
   with its `?query`) removed, the full-width `＠` made `@`, trailing `.,;:` dropped; the
   first address of a cell that holds several; Unicode NFC; lower-cased;
2. then compatibility forms folded (NFKC: full-width letters are their ASCII letters) and the
   provider rules dedupe applies (linkage/canonical.py): googlemail.com is gmail.com, me.com
   and mac.com are icloud.com, Gmail ignores dots, and a `+tag` is dropped where the provider
   delivers it to the same mailbox.

So a suppressed `jane.doe@gmail.com` suppresses `MAILTO:Jane.Doe+news@googlemail.com.`.
Hashes (SHA-256/MD5 lists, the store's entries) are matched against the hashes of
`hash_forms`: the normalised address (what platforms hash), the same with the provider's
+tag removed, and the key, under each of the provider's domain names. A hash cannot be undone: a hashed Gmail address
matches only the variants that keep its dots.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from listclean.errors import InputError
from listclean.text import INVISIBLE, ODD_SPACES

if TYPE_CHECKING:
    import polars as pl

    from listclean.io.read import Workspace

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_EMAILISH = re.compile(r"^[^@\s]+@[^@\s]+$")
_ADDRESS_TOKEN = r"[^\s,;<>()\"']+@[^\s,;<>()\"']+"
_FULLWIDTH_AT = "\uff20\ufe6b"


def normalised_address(expr: pl.Expr) -> pl.Expr:
    """The address cell as validate's repair reads it, in NFC and lower case (null when empty).

    What a hashed audience hashes and what suppression-list hashes are compared with."""
    import polars as pl

    text = expr.cast(pl.String).str.replace_all(f"[{INVISIBLE}]", "").str.replace_all(f"[{ODD_SPACES}]", " ")
    text = text.str.replace(r"^[\s\x00-\x1f\x7f]+", "").str.replace(r"[\s\x00-\x1f\x7f]+$", "")
    # A display name ("Jane <jane@x.com>") and a cell of several addresses: the (first) address.
    inner = text.str.extract(r"^[^<>]*<([^<>]*)>$", 1).str.strip_chars()
    text = pl.coalesce(inner, pl.when(text.str.count_matches(_ADDRESS_TOKEN) >= 2).then(text.str.extract(f"({_ADDRESS_TOKEN})", 1)), text)
    text = text.str.replace(r"(?i)^mailto:\s*", "").str.replace(r"\?.*$", "")
    text = text.str.replace_all(f"[{_FULLWIDTH_AT}]", "@").str.replace(r"[.,;:]+$", "").str.strip_chars()
    text = text.str.normalize("NFC").str.to_lowercase()
    return pl.when(text.str.len_bytes() > 0).then(text)


def suppression_key(expr: pl.Expr) -> pl.Expr:
    """The one form every suppression decision compares (see the module's docstring); vectorised."""
    return _provider_form(expr, gmail_dots=True)


def hash_forms(expr: pl.Expr) -> list[pl.Expr]:
    """The forms whose hashes a hashed entry (a SHA-256/MD5 list, a store entry) is compared with:
    the normalised address (what platforms hash), the same with the provider's +tag removed but
    its dots kept, and the key — these two under each of the provider's domain names (gmail.com
    and googlemail.com; icloud.com, me.com and mac.com). A hash cannot be undone, so a hashed
    Gmail address matches only variants with its own dots (or none)."""
    forms = [normalised_address(expr)]
    for form in (_provider_form(expr, gmail_dots=False), suppression_key(expr)):
        # ...and under each of the provider's domain aliases: a list may have hashed jane@googlemail.com.
        forms += [form, *(form.str.replace(f"@{canonical}$", f"@{alias}") for canonical, alias in _ALIASES)]
    return forms


_ALIASES = (("gmail.com", "googlemail.com"), ("icloud.com", "me.com"), ("icloud.com", "mac.com"))


def _provider_form(expr: pl.Expr, *, gmail_dots: bool) -> pl.Expr:
    import polars as pl

    from listclean.linkage.canonical import GMAIL, PLUS_TAG_DOMAINS

    lowered = normalised_address(expr).str.normalize("NFKC").str.to_lowercase()
    local = lowered.str.extract(r"^(.*)@[^@]*$", 1)
    domain = lowered.str.extract(r"@([^@]*)$", 1).str.strip_chars_end(".")
    untagged = pl.when(domain.is_in(PLUS_TAG_DOMAINS) & ~local.str.starts_with("+")).then(local.str.replace(r"\+.*$", "")).otherwise(local)
    final_local = pl.when(domain.is_in(GMAIL)).then(untagged.str.replace_all(".", "", literal=True)).otherwise(untagged) if gmail_dots else untagged
    final_domain = (
        pl.when(domain == "googlemail.com").then(pl.lit("gmail.com")).when(domain.is_in(("me.com", "mac.com"))).then(pl.lit("icloud.com")).otherwise(domain)
    )
    return pl.when(local.is_not_null()).then(pl.concat_str(final_local, pl.lit("@"), final_domain)).otherwise(lowered)


def key_of(address: str) -> str | None:
    """`suppression_key` of one address (for the few typed on a command line)."""
    return keys_of([address])[0]


def keys_of(addresses: list[str]) -> list[str | None]:
    import polars as pl

    return pl.Series("a", addresses, dtype=pl.String).to_frame().select(suppression_key(pl.col("a"))).to_series().to_list()


def normalised_of(addresses: list[str]) -> list[str | None]:
    import polars as pl

    return pl.Series("a", addresses, dtype=pl.String).to_frame().select(normalised_address(pl.col("a"))).to_series().to_list()


def is_address(normalised: str | None) -> bool:
    """A normalised value that can be an address (one @, something either side, no space)."""
    return bool(normalised) and bool(_EMAILISH.match(normalised))


def address_key(address: str) -> str:
    """Deprecated spelling of `key_of` for one address (kept for callers of the old API)."""
    return key_of(address) or ""


def sha256_of(key: str) -> str:
    """Hex SHA-256 of an already normalised address (how suppression lists and ad platforms hash)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def md5_of(key: str) -> str:
    """Hex MD5 of an already normalised address (Mailchimp's subscriber hash)."""
    return hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest()


def sha256_hex(address: str) -> str:
    return sha256_of(normalised_of([address])[0] or "")


def classify(values: list[str]) -> list[tuple[str, str] | None]:
    """Each suppression entry as ("sha256"|"md5", hex) or ("address", key), None when it is neither."""
    normalised = normalised_of(values)
    keys = keys_of(values)
    out: list[tuple[str, str] | None] = []
    for value, norm, key in zip(values, normalised, keys):
        bare = value.strip().lower()
        if _SHA256.match(bare):
            out.append(("sha256", bare))
        elif _MD5.match(bare):
            out.append(("md5", bare))
        elif is_address(norm) and key:
            out.append(("address", key))
        else:
            out.append(None)
    return out


@dataclass
class SuppressionList:
    addresses: set[str] = field(default_factory=set)  # suppression keys
    sha256: set[str] = field(default_factory=set)
    md5: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.addresses) + len(self.sha256) + len(self.md5)

    def add(self, value: str) -> bool:
        """Add one entry (an address in any form listclean repairs, or a hash); False when it is neither."""
        kind = classify([value])[0]
        if kind is None:
            return False
        {"sha256": self.sha256, "md5": self.md5, "address": self.addresses}[kind[0]].add(kind[1])
        return True

    def contains(self, address: str) -> bool:
        import polars as pl

        frame = pl.DataFrame({"a": [address]}, schema={"a": pl.String})
        return bool(frame.select(self.matches(frame, pl.col("a"))).item())

    def hashed_hits(self, values: list[str]) -> set[str]:
        """The values (normalised addresses or keys) whose SHA-256 or MD5 is listed."""
        if not (self.sha256 or self.md5):
            return set()
        return {value for value in values if sha256_of(value) in self.sha256 or md5_of(value) in self.md5}

    def matches(self, frame: pl.DataFrame, *forms: pl.Expr) -> pl.Expr:
        """A boolean expression: any of the row's address forms is suppressed (compared by
        `suppression_key`; hashes by the normalised form and the key, once per distinct value)."""
        import polars as pl

        keys = [suppression_key(form) for form in forms]
        hits = [key.is_in(sorted(self.addresses)).fill_null(False) for key in keys]
        if self.sha256 or self.md5:
            hashable = [expr for form in forms for expr in hash_forms(form)]
            values = pl.concat([frame.select(expr.alias("v")) for expr in hashable]).drop_nulls().unique()["v"].to_list()
            hashed = sorted(self.hashed_hits(values))
            hits += [expr.is_in(hashed).fill_null(False) for expr in hashable]
        return pl.any_horizontal(hits) if hits else pl.lit(False)


def load_suppression(paths: list[str], workspace: Workspace) -> SuppressionList:
    """Read every suppression file; an entry that is neither an address nor a hash is an error naming file and line."""
    import polars as pl

    from listclean.columns import map_columns
    from listclean.io.read import ReadOptions, read_source

    listed = SuppressionList(sources=list(paths))
    for path in paths:
        try:
            source = read_source(path, ReadOptions(), workspace)
        except InputError as error:
            # The reading options (--on-bad-rows...) are for the data, not for this file: an
            # unreadable suppression list must be fixed, never half-read.
            error.hint = "fix the suppression file: every listed address must be read for certain"
            raise
        header_is_data = bool(source.header) and listed_entry(source.header[0])
        if header_is_data:
            source = read_source(path, ReadOptions(header=False), workspace)
        headerless = header_is_data or source.header[:1] == ["column_1"]
        mapping = map_columns(source.header, {})
        column = mapping.fields.get("email") or source.header[0]
        values = source.frame.select(pl.col(column).cast(pl.String)).collect().to_series().to_list()
        present = [(row, value) for row, value in enumerate(values, start=1) if value is not None and value.strip()]
        for (row, value), kind in zip(present, classify([value for _, value in present])):
            if kind is None:
                raise InputError(
                    f"column {column!r} holds {value[:60]!r}, which is neither an address nor a SHA-256/MD5 hash",
                    source=source.name,
                    line=row + (0 if headerless else 1),
                    hint="a suppression list needs one address or hash per row",
                )
            {"sha256": listed.sha256, "md5": listed.md5, "address": listed.addresses}[kind[0]].add(kind[1])
    return listed


def listed_entry(value: str) -> bool:
    """An address in any form listclean repairs, or a SHA-256/MD5 hash."""
    return classify([value])[0] is not None
