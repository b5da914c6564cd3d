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
ADDRESS_TOKEN = _ADDRESS_TOKEN  # an address among others in one cell
_FULLWIDTH_AT = "\uff20\ufe6b"


def normalised_address(expr: pl.Expr) -> pl.Expr:
    """The address cell as validate's repair reads it, in NFC and lower case (null when empty).

    What a hashed audience hashes and what suppression-list hashes are compared with."""
    import polars as pl

    return expr.cast(pl.String).map_batches(lambda values: _forms(values)["normalised"], return_dtype=pl.String, is_elementwise=True)


def suppression_key(expr: pl.Expr) -> pl.Expr:
    """The one form every suppression decision compares (see the module's docstring); vectorised."""
    import polars as pl

    return expr.cast(pl.String).map_batches(lambda values: _forms(values)["key"], return_dtype=pl.String, is_elementwise=True)


HASH_FORMS = ("normalised", "untagged", "untagged_alias", "key", "key_alias")


def hash_forms(expr: pl.Expr) -> list[pl.Expr]:
    """The forms whose hashes a hashed entry (a SHA-256/MD5 list, a store entry) is compared with:
    the normalised address (what platforms hash), the same with the provider's +tag removed but
    its dots kept, and the key — these two under each of the provider's domain names (gmail.com
    and googlemail.com; icloud.com, me.com and mac.com). A hash cannot be undone, so a hashed
    Gmail address matches only variants with its own dots (or none)."""
    import polars as pl

    struct = expr.cast(pl.String).map_batches(
        lambda values: _forms(values, hashing=True).to_struct(values.name), return_dtype=pl.Struct({name: pl.String for name in (*HASH_FORMS, "alias_2")}),
        is_elementwise=True,
    )
    return [struct.struct.field(name) for name in (*HASH_FORMS, "alias_2")]


def _forms(values: pl.Series, *, hashing: bool = False) -> pl.DataFrame:
    """The address forms of each value, row for row: `normalised`, `key` (and with `hashing` the
    other forms of `hash_forms`). Computed once per distinct value in staged columns: each step is
    materialised before the next reads it (nested expressions would be re-evaluated many times)."""
    import polars as pl

    values = values.cast(pl.String)
    distinct = values.unique()
    if distinct.len() * 2 > values.len():
        return _forms_of(values.rename("v"), hashing)
    table = _forms_of(distinct.rename("v"), hashing).with_columns(distinct.rename("__v"))
    joined = values.rename("__v").to_frame().join(table, on="__v", how="left", nulls_equal=True, maintain_order="left")
    return joined.drop("__v")


# A cell the repair steps would not change: printable ASCII without spaces, brackets, separators or a colon, one @.
_PLAIN = r"^[!#-'*+\-./0-9=?A-Z^_`a-z{|}~]+@[!#-'*+\-./0-9=?A-Z^_`a-z{|}~]*[A-Za-z0-9]$"


def _repaired(frame: pl.DataFrame) -> pl.DataFrame:
    """Column `t`: each cell as validate's repair reads it, in NFC and lower case (staged columns)."""
    import polars as pl

    c = pl.col
    f = frame.with_columns(
        c("v").str.replace_all(f"[{INVISIBLE}]", "").str.replace_all(f"[{ODD_SPACES}]", " ").str.replace(r"^[\s\x00-\x1f\x7f]+", "").str.replace(r"[\s\x00-\x1f\x7f]+$", "").alias("t")
    )
    # A display name ("Jane <jane@x.com>") and a cell of several addresses: the (first) address.
    f = f.with_columns(
        c("t").str.extract(r"^[^<>]*<([^<>]*)>$", 1).str.strip_chars().alias("inner"),
        pl.when(c("t").str.count_matches(_ADDRESS_TOKEN) >= 2).then(c("t").str.extract(f"({_ADDRESS_TOKEN})", 1)).alias("first"),
    )
    f = f.with_columns(pl.coalesce("inner", "first", "t").str.replace(r"(?i)^mailto:\s*", "").str.replace(r"\?.*$", "").alias("t"))
    f = f.with_columns(c("t").str.replace_all(f"[{_FULLWIDTH_AT}]", "@").str.replace(r"[.,;:]+$", "").str.strip_chars().str.normalize("NFC").str.to_lowercase().alias("t"))
    return f.select("__i", "v", "t")


def _forms_of(values: pl.Series, hashing: bool) -> pl.DataFrame:
    import polars as pl

    from listclean.linkage.canonical import GMAIL, PLUS_TAG_DOMAINS

    c = pl.col
    frame = values.to_frame("v").with_row_index("__i")
    # Most addresses need no repair (plain ASCII, one @, nothing around it): lower-cased, they are
    # their normalised form, NFKC leaves them as they are and the one @ splits them; only the
    # others go through the repair steps and Unicode normalisation.
    plain = frame["v"].str.contains(_PLAIN).fill_null(False)
    simple = frame.filter(plain).with_columns(c("v").str.to_lowercase().alias("normalised"))
    simple = simple.with_columns(
        c("normalised").alias("lowered"), c("normalised").str.split_exact("@", 1).struct.rename_fields(["local", "domain"]).alias("parts")
    ).unnest("parts")
    other = _repaired(frame.filter(~plain)).with_columns(pl.when(c("t").str.len_bytes() > 0).then(c("t")).alias("normalised"))
    other = other.with_columns(c("normalised").str.normalize("NFKC").str.to_lowercase().alias("lowered"))
    other = other.with_columns(
        c("lowered").str.extract(r"^(.*)@[^@]*$", 1).alias("local"), c("lowered").str.extract(r"@([^@]*)$", 1).str.strip_chars_end(".").alias("domain")
    )
    columns = ["__i", "normalised", "lowered", "local", "domain"]
    f = simple.select(columns) if not other.height else pl.concat([simple.select(columns), other.select(columns)], how="vertical").sort("__i")
    f = f.with_columns(
        pl.when(c("domain").is_in(PLUS_TAG_DOMAINS) & ~c("local").str.starts_with("+")).then(c("local").str.replace(r"\+.*$", "")).otherwise(c("local")).alias("untagged_local"),
        pl.when(c("domain") == "googlemail.com").then(pl.lit("gmail.com")).when(c("domain").is_in(("me.com", "mac.com"))).then(pl.lit("icloud.com")).otherwise(c("domain")).alias("canonical_domain"),
    )
    has_local = c("local").is_not_null()
    key_local = pl.when(c("domain").is_in(GMAIL)).then(c("untagged_local").str.replace_all(".", "", literal=True)).otherwise(c("untagged_local"))
    f = f.with_columns(
        pl.when(has_local).then(pl.concat_str(key_local, pl.lit("@"), c("canonical_domain"))).otherwise(c("lowered")).alias("key"),
        pl.when(has_local).then(pl.concat_str(c("untagged_local"), pl.lit("@"), c("canonical_domain"))).otherwise(c("lowered")).alias("untagged"),
    )
    if not hashing:
        return f.select("normalised", "key")
    alias = pl.when(c("canonical_domain") == "gmail.com").then(pl.lit("@googlemail.com")).when(c("canonical_domain") == "icloud.com").then(pl.lit("@me.com"))
    return f.select(
        "normalised", "untagged",
        pl.concat_str(c("untagged").str.replace(r"@[^@]*$", ""), alias).alias("untagged_alias"),
        "key",
        pl.concat_str(c("key").str.replace(r"@[^@]*$", ""), alias).alias("key_alias"),
        # mac.com, the third Apple name, for both forms in one column: the key's (the untagged form differs only by Gmail dots)
        pl.when(c("canonical_domain") == "icloud.com").then(pl.concat_str(c("key").str.replace(r"@[^@]*$", ""), pl.lit("@mac.com"))).alias("alias_2"),
    )  # fmt: skip


def key_of(address: str) -> str | None:
    """`suppression_key` of one address (for the few typed on a command line)."""
    return keys_of([address])[0]


def keys_of(addresses: list[str]) -> list[str | None]:
    import polars as pl

    return _forms(pl.Series("a", addresses, dtype=pl.String))["key"].to_list()


def normalised_of(addresses: list[str]) -> list[str | None]:
    import polars as pl

    return _forms(pl.Series("a", addresses, dtype=pl.String))["normalised"].to_list()


def is_address(normalised: str | None) -> bool:
    """A normalised value that can be an address (one @, something either side, no space)."""
    return bool(normalised) and bool(_EMAILISH.match(normalised))


def sha256_of(key: str) -> str:
    """Hex SHA-256 of an already normalised address (how suppression lists and ad platforms hash)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def md5_of(key: str) -> str:
    """Hex MD5 of an already normalised address (Mailchimp's subscriber hash)."""
    return hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest()


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

    def union(self, other: SuppressionList | None) -> SuppressionList:
        """A new list holding both lists' entries (either suppresses); neither is changed."""
        if other is None:
            return self
        return SuppressionList(
            addresses=self.addresses | other.addresses, sha256=self.sha256 | other.sha256, md5=self.md5 | other.md5, sources=[*self.sources, *other.sources]
        )

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
