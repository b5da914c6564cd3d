"""The erase step: forget people for good, keeping only a keyed hash so they never come back.

The suppression store records each person as an HMAC of their address (its key beside the
store, readable only by its owner), never the address; an entry the store held for them as
plain text is replaced by the hash. Later imports, validations and exports with the store
drop them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from listclean.errors import UsageError

if TYPE_CHECKING:
    from listclean.runtime import Runtime


@dataclass
class EraseReport:
    store: str  # the store the erasure is recorded in
    erased: int  # people erased (distinct addresses, whatever their case)
    entries: int  # entries in the store afterwards
    added: int  # entries the store gained (an address it held as plain text is replaced, not added)
    hashes_skipped: int = 0  # hashes in the --from lists: a person is erased by their address

    def summary(self) -> dict[str, Any]:
        return {"command": "erase", "store": self.store, "erased": self.erased, "entries": self.entries}


def erase_step(addresses: Sequence[str], from_files: Sequence[str], store_path: str, runtime: Runtime) -> EraseReport:
    """Record the people of `addresses` and of the `from_files` lists (one a line, or a CSV with
    an email column) as erased in the store at `store_path` (created if missing)."""
    from listclean.store import SuppressionStore
    from listclean.suppression import classify, load_suppression

    wanted = [address.strip() for address in addresses if address.strip()]
    for address, kind in zip(wanted, classify(wanted)):
        if kind is None or kind[0] != "address":
            raise UsageError(f"{address!r} is not an email address")
    skipped = 0
    keys: set[str] = {kind[1] for kind in classify(wanted) if kind is not None}
    if from_files:
        listed = load_suppression(list(from_files), runtime.workspace)
        skipped = len(listed.sha256) + len(listed.md5)
        if skipped:
            runtime.reporter.warn(f"{skipped:,} hash(es) in --from skipped: a person is erased by their address")
        keys |= listed.addresses
    if not keys:
        raise UsageError("no one to erase", hint="give addresses, or --from FILE")
    store = SuppressionStore.open(store_path)
    before = len(store)
    for key in sorted(keys):  # compared and recorded by the suppression key: mailto:, case, +tags are one person
        store.add_normalised(key, key, "erased", erase=True)
    store.save()
    return EraseReport(store=store_path, erased=len(keys), entries=len(store), added=len(store) - before, hashes_skipped=skipped)
