"""listclean erase: forget people for good, keeping only a keyed hash so they never come back."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from listclean.cli.common import emit_summary, guarded
from listclean.cli.console import Reporter
from listclean.errors import UsageError

Addresses = Annotated[Optional[list[str]], typer.Argument(help="Addresses of the people to erase.", show_default=False)]
StorePath = Annotated[str, typer.Option("--store", help="The suppression store to record the erasure in (created if missing).")]
FromFiles = Annotated[Optional[list[str]], typer.Option("--from", help="Also erase every address listed in this file (one a line, or a CSV with an email column); repeatable.", show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object on stdout.")]


@guarded
def command(addresses: Addresses = None, store: StorePath = ..., from_files: FromFiles = None, json: JsonFlag = False) -> None:
    """Record people as erased: the store keeps an HMAC of each address, never the address.

    Later imports and exports with --store drop these people (import lists only their row numbers in --rejects); an address they had in the store as plain text is replaced by the hash. Erase them from your existing files by re-running import/export with --store.
    """
    from listclean.io.read import Workspace
    from listclean.store import SuppressionStore
    from listclean.suppression import listed_entry, load_suppression

    reporter = Reporter()
    wanted = [address.strip() for address in addresses or [] if address.strip()]
    for address in wanted:
        if "@" not in address or not listed_entry(address):
            raise UsageError(f"{address!r} is not an email address")
    if from_files:
        with Workspace() as workspace:
            listed = load_suppression(from_files, workspace)
        if listed.sha256 or listed.md5:
            reporter.warn(f"{len(listed.sha256) + len(listed.md5):,} hash(es) in --from skipped: a person is erased by their address")
        wanted += sorted(listed.addresses)
    if not wanted:
        raise UsageError("no one to erase", hint="give addresses, or --from FILE")
    kept = SuppressionStore.open(store)
    before = len(kept)
    for address in wanted:
        kept.add(address, "erased", erase=True)
    kept.save()
    reporter.info(f"{len(set(a.lower() for a in wanted)):,} people erased; the store {store} holds {len(kept):,} entries ({len(kept) - before:+,})")
    emit_summary({"command": "erase", "store": store, "erased": len(set(a.lower() for a in wanted)), "entries": len(kept)}, json_summary=json, report=None, inputs=from_files or [])
