"""The suppression store: listclean's own, growing record of who must never be mailed again.

A tab-separated text file, one entry a line: `entry<TAB>reason<TAB>added` (UTC date).
The entry is the address (as validate normalises it: repaired, lower-cased) — or, for people
who asked to be erased, only `hmac-sha256:<hex>`, an HMAC of the address's suppression key
(`suppression.suppression_key`: repaired, lower-cased, the provider's rules) under a secret
key kept beside the store (`<store>.key`, created on first use, readable by its owner only).
A keyed hash cannot be reversed by hashing a list of known addresses, yet the same person is
recognised if they come back in a later import, in any form of their address.

Every entry is compared by its suppression key, so `Jane.Doe+news@googlemail.com` in a file
matches the entry `jane.doe@gmail.com`. Erasures recorded before the key existed are HMACs of
the trimmed, lower-cased address: they still match that form (an old entry cannot be moved to
the key without the address it hides; erasing the person again records the new form).

Fed by `export --store` (every unsubscribed, bounced, cleaned, complained or erased row it
sees, and every `--suppress` list), by `listclean erase`, and read by `import --store`,
`validate --store`, `export --store` and `segment --store`. Entries are only ever added; the
file is rewritten atomically, sorted, so it diffs well and is the same for the same history.

Safe under concurrency: saving takes an exclusive lock (`<store>.lock`, filelock), reads the file
again and merges this run's additions and erasures into what is there, so an `erase` made while
another command had the store open is never lost (and an erased person's plain address, added
by a command that started before the erasure, is removed again).
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from listclean.errors import InputError, OutputError
from listclean.schema import CONSENT_STRENGTH as CONSENT_RANK

if TYPE_CHECKING:
    import polars as pl

HMAC_PREFIX = "hmac-sha256:"
HEADER = "# listclean suppression store: entry<TAB>reason<TAB>added (UTC). Entries are only added. Do not edit the .key file.\n"


def _key_path(path: Path) -> Path:
    return path.with_name(path.name + ".key")


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on the store (its `.lock` file) for a read-modify-write: waits for the
    holder. filelock's native lock (flock on Linux and macOS, LockFileEx on Windows), released
    by the operating system if the holder dies."""
    from filelock import FileLock

    lock_file = _lock_path(path)
    if not lock_file.parent.is_dir():  # never created here: the store's folder is the user's
        raise OutputError(f"{lock_file}: cannot lock the store (its directory does not exist)", hint="create it first")
    lock = FileLock(lock_file, mode=0o600)
    try:
        lock.acquire()  # blocking, as long as it takes
    except OSError as exc:
        raise OutputError(f"{lock_file}: cannot lock the store ({exc.strerror or exc})", hint="check the folder's permissions") from None
    try:
        yield
    finally:
        lock.release()


def _create_exclusively(path: Path, text: str) -> None:
    """Create `path` with `text` unless it exists (another process won: its file is kept)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text)


def _read_entries(path: Path, name: str) -> dict[str, tuple[str, str]]:
    entries: dict[str, tuple[str, str]] = {}
    if not path.exists():
        return entries
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise InputError("is not a suppression store line (entry, reason, date)", source=name, line=number, hint="restore the file from a backup")
        entries[parts[0]] = (parts[1], parts[2])
    return entries


def _is_plain(entry: str) -> bool:
    return "@" in entry


def _stronger(a: str | None, b: str) -> str:
    return b if a is None or CONSENT_RANK.get(b, 0) > CONSENT_RANK.get(a, 0) else a


@dataclass
class SuppressionStore:
    path: Path
    entries: dict[str, tuple[str, str]] = field(default_factory=dict)  # entry -> (reason, added)
    key: bytes = b""
    added: int = 0
    _new: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)  # entries this run added
    _dropped: set[str] = field(default_factory=set, repr=False)  # plain entries this run's erasures removed
    _by_key: dict[str, str] = field(default_factory=dict, repr=False)  # suppression key -> reason, of plain entries
    _entry_keys: dict[str, str] = field(default_factory=dict, repr=False)  # plain entry -> its suppression key

    @classmethod
    def open(cls, path: str) -> SuppressionStore:
        """Read the store (a missing file is an empty store) and its key (created if missing)."""
        store = cls(Path(path))
        if store.path.is_dir():
            raise InputError(f"{path}: is a directory", hint="--store takes a file")
        store.entries = _read_entries(store.path, path)
        store._index()
        store.key = store._load_key()
        return store

    def _index(self) -> None:
        from listclean.suppression import keys_of

        plain = [entry for entry in self.entries if _is_plain(entry)]
        self._entry_keys = {entry: key for entry, key in zip(plain, keys_of(plain)) if key}
        self._by_key = {}
        for entry, key in self._entry_keys.items():
            self._by_key[key] = _stronger(self._by_key.get(key), self.entries[entry][0])

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
            # Written whole under another name, then linked into place: a second process creating
            # the key at the same moment reads the winner's key instead of making its own.
            fresh = secrets.token_bytes(32)
            temporary = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(fresh.hex() + "\n")
            try:
                os.link(temporary, key_file)
            except FileExistsError:
                pass
            except OSError:  # no hard links here (FAT, exFAT, some shares): created exclusively instead
                _create_exclusively(key_file, fresh.hex() + "\n")
            finally:
                os.unlink(temporary)
            self.key = bytes.fromhex(key_file.read_text(encoding="ascii").strip())
        return self.key

    def _hmac(self, value: str) -> str:
        return HMAC_PREFIX + hmac.new(self.key, value.encode("utf-8"), "sha256").hexdigest()

    def keyed(self, address: str) -> str:
        """The erasure entry of an address: the HMAC of its suppression key."""
        from listclean.suppression import key_of

        self._ensure_key()
        return self._hmac(key_of(address) or "")

    def _put(self, entry: str, reason: str) -> None:
        if entry not in self.entries:
            record = (reason, datetime.now(timezone.utc).strftime("%Y-%m-%d"))
            self.entries[entry] = record
            self._new[entry] = record
            self.added += 1

    def add_normalised(self, normalised: str, key: str, reason: str, *, erase: bool = False) -> None:
        """Add one address given in its normalised form and its suppression key (see suppression.py)."""
        if not key:
            return
        if erase:
            self._ensure_key()
            # An erased person leaves no readable address behind: every plain entry of theirs goes.
            for entry in [entry for entry, known in self._entry_keys.items() if known == key]:
                self.entries.pop(entry, None)
                self._new.pop(entry, None)
                self._entry_keys.pop(entry, None)
                self._dropped.add(entry)
            self._by_key[key] = "erased"
            self._put(self._hmac(key), reason)
            return
        if key in self._by_key and self._by_key[key] == "erased":
            return  # never write an erased person's address back as text
        self._put(normalised, reason)
        self._entry_keys[normalised] = key
        self._by_key[key] = _stronger(self._by_key.get(key), reason)

    def add(self, address: str, reason: str, *, erase: bool = False) -> None:
        """Add one address, typed in any form listclean repairs."""
        from listclean.suppression import key_of, normalised_of

        normalised, key = normalised_of([address])[0], key_of(address)
        if normalised and key:
            self.add_normalised(normalised, key, reason, erase=erase)

    def add_hash(self, entry: str, reason: str) -> None:
        """A hash from a --suppress list (sha256/md5 hex) kept as it is."""
        self._put(entry, reason)

    def __len__(self) -> int:
        return len(self.entries)

    def plain_keys(self) -> set[str]:
        """The suppression keys of the entries that are addresses (not hashes): what a read-back check can look for."""
        return set(self._entry_keys.values())

    def plain_addresses(self) -> set[str]:
        return self.plain_keys()

    def hashed_entries(self) -> tuple[set[str], set[str]]:
        """(SHA-256, MD5) entries the store keeps from --suppress lists."""
        sha = {entry for entry in self.entries if len(entry) == 64 and not _is_plain(entry)}
        md5 = {entry for entry in self.entries if len(entry) == 32 and not _is_plain(entry)}
        return sha, md5

    def reasons(self, frame: pl.DataFrame, key: pl.Expr, address: pl.Expr | None = None) -> pl.Series:
        """For each row, the store's reason when its address is in the store: `key` gives the
        rows' suppression keys, `address` their addresses (whose `hash_forms` hashed entries and
        old erasures are compared with)."""
        import polars as pl

        from listclean.suppression import hash_forms, md5_of, sha256_of

        others = hash_forms(address) if address is not None else [key]
        forms = frame.select(key.alias("k"), *(form.alias(f"f{i}") for i, form in enumerate(others)))
        keys = forms["k"]
        found = dict(self._by_key)
        if len(self._entry_keys) < len(self.entries):
            # Hashed entries too: each distinct address is hashed once (HMAC, SHA-256, MD5) in each form.
            hashed = {entry for entry in self.entries if not _is_plain(entry)}
            for value, *variants in forms.drop_nulls("k").unique().iter_rows():
                if value in found:
                    continue
                candidates = list(dict.fromkeys(form for form in (value, *variants) if form))
                digests = [self._hmac(form) for form in candidates] if self.key else []
                digests += [digest(form) for form in candidates for digest in (sha256_of, md5_of)]
                for digest in digests:
                    if digest in hashed:
                        found[value] = self.entries[digest][0]
                        break
        if not found:
            return pl.Series([None] * frame.height, dtype=pl.String)
        return keys.replace_strict(found, default=None, return_dtype=pl.String)

    def save(self) -> None:
        """Merge this run's additions and erasures into the store on disk, under its lock."""
        from listclean.io.write import atomic_text

        with locked(self.path):
            merged = _read_entries(self.path, str(self.path))
            for entry in self._dropped:
                merged.pop(entry, None)
            for entry, record in self._new.items():
                merged.setdefault(entry, record)
            if any(entry.startswith(HMAC_PREFIX) for entry in merged):
                if not self.key:
                    self.key = self._load_key()
                merged = self._without_erased(merged)
            lines = [HEADER] + [f"{entry}\t{reason}\t{added}\n" for entry, (reason, added) in sorted(merged.items())]
            atomic_text(str(self.path), "".join(lines))
        self.entries = merged
        self._new, self._dropped = {}, set()
        self._index()

    def _without_erased(self, merged: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
        """No plain entry of a person the store records as erased (added by another command meanwhile)."""
        from listclean.suppression import keys_of

        if not self.key:
            return merged
        plain = [entry for entry in merged if _is_plain(entry)]
        gone = {
            entry for entry, key in zip(plain, keys_of(plain))
            if self._hmac(key or entry) in merged or self._hmac(entry) in merged
        }  # fmt: skip
        return {entry: record for entry, record in merged.items() if entry not in gone}


FED_BY = ("unsubscribed", "bounced", "cleaned", "complained", "erased")


def _address(frame: pl.DataFrame) -> pl.Expr:
    from listclean.export_rules import address_key

    return address_key(frame)


def _normalised(frame: pl.DataFrame) -> pl.Expr:
    from listclean.export_rules import address_source
    from listclean.suppression import normalised_address

    return normalised_address(address_source(frame))


def _source(frame: pl.DataFrame) -> pl.Expr:
    from listclean.export_rules import address_source

    return address_source(frame)


def apply_store(frame: pl.DataFrame, store: SuppressionStore) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """(rows kept, rejects of the rows removed because the person was erased, and for each kept
    row whether its address is in the store — whatever the reason, such a row is never exported).

    A kept row whose address is in the store takes the store's reason as its consent status
    when its own says less (an old export's "subscribed" does not undo an unsubscribe). An
    erased person's rows are removed entirely and their rejects carry no data, only a hash.
    """
    import polars as pl

    from listclean.importer import rows_as_rejects

    reasons = store.reasons(frame, _address(frame), _source(frame))
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
    record_fed(store, fed_rows(frame))


def fed_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """What `feed_store` adds from the frame: (normalised, key, status) of every unsubscribed,
    bounced, cleaned, complained or erased row, once each, in the order they are added."""
    import polars as pl

    schema = {"normalised": pl.String, "key": pl.String, "status": pl.String}
    if "consent_status" not in frame.columns:
        return pl.DataFrame(schema=schema)
    rows = frame.select(_normalised(frame).alias("normalised"), _address(frame).alias("key"), pl.col("consent_status").cast(pl.String).alias("status"))
    return rows.filter(pl.col("status").is_in(FED_BY) & pl.col("key").is_not_null()).unique().sort("key", "status", "normalised")


def record_fed(store: SuppressionStore, rows: pl.DataFrame) -> None:
    """Add `fed_rows`' rows to the store (an erased person's as a keyed hash only)."""
    for normalised, key, status in rows.select("normalised", "key", "status").iter_rows():
        store.add_normalised(normalised or key, key, status, erase=status == "erased")
