"""The suppression store: listclean's own, growing record of who must never be mailed again.

A tab-separated text file, one entry a line: `entry<TAB>reason<TAB>added` (UTC date).
The entry is the trimmed, lower-cased address — or, for people who asked to be erased, only
`hmac-sha256:<hex>`, an HMAC of the address under a secret key kept beside the store
(`<store>.key`, created on first use, readable by its owner only). A keyed hash cannot be
reversed by hashing a list of known addresses, yet the same person is recognised if they
come back in a later import.

Fed by `export --store` (every unsubscribed, bounced, cleaned, complained or erased row it
sees, and every `--suppress` list), by `listclean erase`, and read by `import --store`,
`validate --store` and `export --store`. Entries are only ever added; the file is rewritten
atomically, sorted, so it diffs well and is the same for the same history.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from listclean.errors import InputError, OutputError

if TYPE_CHECKING:
    import polars as pl

HMAC_PREFIX = "hmac-sha256:"
HEADER = "# listclean suppression store: entry<TAB>reason<TAB>added (UTC). Entries are only added. Do not edit the .key file.\n"


def _key_path(path: Path) -> Path:
    return path.with_name(path.name + ".key")


@dataclass
class SuppressionStore:
    path: Path
    entries: dict[str, tuple[str, str]] = field(default_factory=dict)  # entry -> (reason, added)
    key: bytes = b""
    added: int = 0

    @classmethod
    def open(cls, path: str) -> SuppressionStore:
        """Read the store (a missing file is an empty store) and its key (created if missing)."""
        store = cls(Path(path))
        if store.path.is_dir():
            raise InputError(f"{path}: is a directory", hint="--store takes a file")
        if store.path.exists():
            for number, line in enumerate(store.path.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.split("\t")
                if len(parts) != 3:
                    raise InputError("is not a suppression store line (entry, reason, date)", source=path, line=number, hint="restore the file from a backup")
                store.entries[parts[0]] = (parts[1], parts[2])
        store.key = store._load_key()
        return store

    def _load_key(self) -> bytes:
        key_file = _key_path(self.path)
        if key_file.exists():
            return bytes.fromhex(key_file.read_text(encoding="ascii").strip())
        if any(entry.startswith(HMAC_PREFIX) for entry in self.entries):
            raise InputError(f"{key_file}: missing, so the erased entries of {self.path} cannot be matched", hint="restore the key file")
        return b""

    def _ensure_key(self) -> bytes:
        if not self.key:
            key_file = _key_path(self.path)
            if not key_file.parent.is_dir():
                raise OutputError(f"{key_file}: directory does not exist", hint="create it first")
            self.key = secrets.token_bytes(32)
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(self.key.hex() + "\n")
        return self.key

    def keyed(self, address: str) -> str:
        return HMAC_PREFIX + hmac.new(self._ensure_key(), address.strip().lower().encode("utf-8"), "sha256").hexdigest()

    def add(self, address: str, reason: str, *, erase: bool = False) -> None:
        address = address.strip().lower()
        if not address:
            return
        entry = self.keyed(address) if erase else address
        if erase:
            self.entries.pop(address, None)  # an erased person leaves no readable address behind
        if entry not in self.entries:
            self.entries[entry] = (reason, datetime.now(timezone.utc).strftime("%Y-%m-%d"))
            self.added += 1

    def add_hash(self, entry: str, reason: str) -> None:
        """A hash from a --suppress list (sha256/md5 hex) kept as it is."""
        if entry not in self.entries:
            self.entries[entry] = (reason, datetime.now(timezone.utc).strftime("%Y-%m-%d"))
            self.added += 1

    def __len__(self) -> int:
        return len(self.entries)

    def plain_addresses(self) -> set[str]:
        """The entries that are addresses (not hashes): what a read-back check can look for."""
        return {entry for entry in self.entries if "@" in entry}

    def reasons(self, frame: pl.DataFrame, key: pl.Expr) -> pl.Series:
        """For each row, the store's reason when its address (the `key` expression) is in the store."""
        import polars as pl

        lowered = frame.select(key.str.strip_chars().str.to_lowercase().alias("k"))["k"]
        plain = {entry: reason for entry, (reason, _) in self.entries.items() if "@" in entry}
        if len(plain) == len(self.entries):
            # Addresses only: one vectorised look-up.
            return lowered.replace_strict(plain, default=None, return_dtype=pl.String) if plain else pl.Series([None] * frame.height, dtype=pl.String)
        # Hashed entries too: each distinct address is hashed once (HMAC, SHA-256, MD5).
        found: dict[str, str] = {}
        for value in lowered.drop_nulls().unique().to_list():
            entry = self.entries.get(value)
            if entry is None and self.key:
                entry = self.entries.get(HMAC_PREFIX + hmac.new(self.key, value.encode("utf-8"), "sha256").hexdigest())
            if entry is None:
                entry = self._hashed_entry(value)
            if entry is not None:
                found[value] = entry[0]
        return lowered.replace_strict(found, default=None, return_dtype=pl.String) if found else pl.Series([None] * frame.height, dtype=pl.String)

    def _hashed_entry(self, value: str) -> tuple[str, str] | None:
        from listclean.suppression import md5_of, sha256_of

        if not any(len(entry) in (32, 64) for entry in self.entries):
            return None
        for digest in (sha256_of(value), md5_of(value)):
            if digest in self.entries:
                return self.entries[digest]
        return None

    def save(self) -> None:
        from listclean.io.write import atomic_text

        lines = [HEADER] + [f"{entry}\t{reason}\t{added}\n" for entry, (reason, added) in sorted(self.entries.items())]
        atomic_text(str(self.path), "".join(lines))


CONSENT_RANK = {"erased": 7, "complained": 6, "unsubscribed": 5, "bounced": 4, "cleaned": 3, "pending": 2, "subscribed": 1}
FED_BY = ("unsubscribed", "bounced", "cleaned", "complained", "erased")


def _address(frame: pl.DataFrame) -> pl.Expr:
    from listclean.export_rules import address_key

    return address_key(frame)


def apply_store(frame: pl.DataFrame, store: SuppressionStore) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """(rows kept, rejects of the rows removed because the person was erased, and for each kept
    row whether its address is in the store — whatever the reason, such a row is never exported).

    A kept row whose address is in the store takes the store's reason as its consent status
    when its own says less (an old export's "subscribed" does not undo an unsubscribe). An
    erased person's rows are removed entirely and their rejects carry no data, only a hash.
    """
    import polars as pl

    from listclean.importer import rows_as_rejects

    reasons = store.reasons(frame, _address(frame))
    erased = (reasons == "erased").fill_null(False)
    status = pl.col("consent_status").cast(pl.String) if "consent_status" in frame.columns else pl.lit(None, dtype=pl.String)
    stored = pl.lit(reasons)
    stronger = stored.replace_strict(CONSENT_RANK, default=0, return_dtype=pl.Int8) > status.replace_strict(CONSENT_RANK, default=0, return_dtype=pl.Int8)
    marked = frame.with_columns(pl.when(stronger).then(stored).otherwise(status).alias("consent_status"))
    kept = marked.filter(~erased)
    gone = frame.filter(erased).select("_source_file", "_source_row") if "_source_file" in frame.columns else frame.filter(erased).head(0)
    # Only provenance goes to the rejects: the erased person's data is not written anywhere.
    rejects = rows_as_rejects(gone, pl.lit("erased"), pl.lit("this person asked to be erased: only a keyed hash is kept"))
    return kept, rejects, reasons.filter(~erased).is_not_null()


def feed_store(store: SuppressionStore, frame: pl.DataFrame) -> None:
    """Add every unsubscribed, bounced, cleaned, complained or erased row's address to the store."""
    import polars as pl

    if "consent_status" not in frame.columns:
        return
    rows = frame.select(_address(frame).alias("address"), pl.col("consent_status").cast(pl.String).alias("status"))
    rows = rows.filter(pl.col("status").is_in(FED_BY) & pl.col("address").is_not_null()).unique()
    for address, status in rows.iter_rows():
        store.add(address, status, erase=status == "erased")
