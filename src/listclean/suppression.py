"""Suppression lists: addresses (or their hashes) that must never be mailed, whatever a source says.

A list is any file listclean can read: a plain list of addresses one per line, a CSV
or spreadsheet with an email column (mapped like any import), or hashes — hex SHA-256
(as ad platforms and erasure records keep them) or MD5 (Mailchimp's subscriber hash)
of the trimmed, lower-cased address. Matching compares the trimmed, lower-cased address.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from listclean.errors import InputError

if TYPE_CHECKING:
    import polars as pl

    from listclean.io.read import Workspace

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_EMAILISH = re.compile(r"^[^@\s]+@[^@\s]+$")


def address_key(address: str) -> str:
    return address.strip().lower()


def sha256_of(key: str) -> str:
    """Hex SHA-256 of an already trimmed, lower-cased address (how suppression lists and ad platforms hash)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def md5_of(key: str) -> str:
    """Hex MD5 of an already trimmed, lower-cased address (Mailchimp's subscriber hash)."""
    return hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest()


def sha256_hex(address: str) -> str:
    return sha256_of(address_key(address))


@dataclass
class SuppressionList:
    addresses: set[str] = field(default_factory=set)
    sha256: set[str] = field(default_factory=set)
    md5: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.addresses) + len(self.sha256) + len(self.md5)

    def add(self, value: str) -> bool:
        """Add one entry (an address or a hash); False when it is neither."""
        value = value.strip().lower()
        if _SHA256.match(value):
            self.sha256.add(value)
        elif _MD5.match(value):
            self.md5.add(value)
        elif _EMAILISH.match(value.removeprefix("mailto:")):
            self.addresses.add(value.removeprefix("mailto:"))
        else:
            return False
        return True

    def contains(self, address: str) -> bool:
        key = address_key(address)
        if key in self.addresses:
            return True
        if self.sha256 and sha256_of(key) in self.sha256:
            return True
        return bool(self.md5) and md5_of(key) in self.md5

    def matches(self, frame: pl.DataFrame, *keys: pl.Expr) -> pl.Expr:
        """A boolean expression: any of the row's address forms is suppressed. Hashing runs once
        per distinct address over all the forms."""
        import polars as pl

        lowered = [key.str.strip_chars().str.to_lowercase() for key in keys]
        if not (self.sha256 or self.md5):
            hit = sorted(self.addresses)
        else:
            distinct = pl.concat([frame.select(form.alias("key")) for form in lowered]).drop_nulls().unique()["key"].to_list()
            hit = sorted(value for value in distinct if self.contains(value))
        return pl.any_horizontal([form.is_in(hit).fill_null(False) for form in lowered])


def load_suppression(paths: list[str], workspace: Workspace) -> SuppressionList:
    """Read every suppression file; an unreadable entry is an error naming file and row."""
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
        values = source.frame.select(pl.col(column).cast(pl.String)).collect().to_series()
        for row, value in enumerate(values.to_list(), start=1):
            if value is None or not value.strip():
                continue
            if not listed.add(value):
                raise InputError(
                    f"column {column!r} holds {value[:60]!r}, which is neither an address nor a SHA-256/MD5 hash",
                    source=source.name,
                    line=row + (0 if headerless else 1),
                    hint="a suppression list needs one address or hash per row",
                )
    return listed


def listed_entry(value: str) -> bool:
    value = value.strip().lower()
    return bool(_SHA256.match(value) or _MD5.match(value) or _EMAILISH.match(value.removeprefix("mailto:")))
