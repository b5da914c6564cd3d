"""The suppression store under concurrency (issue #16 point 4): an erasure made while another
command holds the store is never lost, and no process's additions overwrite another's."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from listclean.store import HMAC_PREFIX, SuppressionStore

# A second process: opens the store, says so, waits to be told to go on, then adds and saves —
# as an export that read the store at its start and saves what it learnt at its end.
HOLDER = """
import sys, time
from pathlib import Path
from listclean.store import SuppressionStore
store_path, ready, go = sys.argv[1:4]
store = SuppressionStore.open(store_path)
Path(ready).write_text("open")
while not Path(go).exists():
    time.sleep(0.02)
for address in sys.argv[4:]:
    store.add(address, "unsubscribed")
store.save()
"""

ADDER = """
import sys
from listclean.store import SuppressionStore
store_path, prefix = sys.argv[1:3]
for n in range(15):
    store = SuppressionStore.open(store_path)
    store.add(f"{prefix}{n}@firma.pl", "unsubscribed")
    store.save()
"""


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, "the other process never opened the store"
        time.sleep(0.02)


def _entries(path: Path) -> dict[str, str]:
    return {line.split("\t")[0]: line.split("\t")[1] for line in path.read_text().splitlines() if line and not line.startswith("#")}


def test_an_erasure_made_while_another_process_holds_the_store_is_kept(cli, tmp_path):
    store_path = tmp_path / "store.tsv"
    ready, go = tmp_path / "ready", tmp_path / "go"
    # The other command learnt (before the erasure) that jane unsubscribed: her address must not come back as text.
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store_path), str(ready), str(go), "bob@firma.pl", "Jane@Firma.pl"])
    try:
        _wait_for(ready)
        result = cli(["erase", "mailto:jane@firma.pl", "--store", store_path])
        assert result.exit_code == 0, result.stderr
        go.write_text("go")
        assert holder.wait(timeout=60) == 0
    finally:
        holder.kill()
    entries = _entries(store_path)
    assert "bob@firma.pl" in entries
    erased = [entry for entry, reason in entries.items() if entry.startswith(HMAC_PREFIX)]
    assert len(erased) == 1 and entries[erased[0]] == "erased"
    assert not any("jane" in entry for entry in entries)
    store = SuppressionStore.open(str(store_path))
    assert store.keyed("JANE@firma.pl") in store.entries


def test_processes_saving_at_once_lose_nothing(tmp_path):
    store_path = tmp_path / "store.tsv"
    workers = [subprocess.Popen([sys.executable, "-c", ADDER, str(store_path), f"p{i}-"]) for i in range(4)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    assert len(_entries(store_path)) == 4 * 15
