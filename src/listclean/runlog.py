"""The run log: one JSON line per run, appended, for audit — what ran, on what, with what result.

Each line has the time (UTC), listclean's version, the command, every input file's size and
SHA-256 (stdin: no hash), and the run's counts: the numbers of its summary, never a value
from the data — no addresses, names or domains reach the log.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from listclean.errors import OutputError

SAFE_TEXT = ("command", "output", "rejects", "format", "to", "hash", "html", "sunset_out", "clusters", "explain", "store", "as_of")


def file_digest(path: str) -> dict[str, Any]:
    if path == "-" or not os.path.isfile(path):  # stdin, a pipe or FIFO: read once, by the command
        return {"path": path, "sha256": None, "bytes": None}
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
    except OSError:
        return {"path": path, "sha256": None, "bytes": None}
    return {"path": path, "sha256": digest.hexdigest(), "bytes": size}


def _numbers(value: Any) -> Any:  # noqa: ANN401
    """Only numbers (and booleans) survive, nested dicts keep their numeric leaves."""
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return value
    if isinstance(value, dict):
        kept = {str(k): _numbers(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != {}} or None
    return None


def check_log(path: str, *, force: bool = False) -> None:
    """Before any work: the run log is appended to only if it is new, empty or a listclean run
    log (its first line one of ours) — never to another file (an output, a CSV) unless --force."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"--log {path}: is a directory", hint="give a file name")
    if force or not target.is_file() or target.stat().st_size == 0:
        return
    try:
        with open(target, "rb") as handle:
            first = json.loads(handle.readline(1 << 16).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        first = None
    if not (isinstance(first, dict) and "at" in first and "listclean" in first):
        raise OutputError(f"--log {path}: exists and is not a listclean run log; refusing to append to it", hint="give the run log's path or a new file (or --force)")


def record(path: str, summary: dict[str, Any], inputs: list[str]) -> None:
    """Append one line to the run log (created if missing)."""
    line: dict[str, Any] = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    line["listclean"] = summary.get("listclean")
    for key in SAFE_TEXT:
        if isinstance(summary.get(key), str):
            line[key] = summary[key]
    line["inputs"] = [file_digest(name) for name in inputs]
    counts = {key: _numbers(value) for key, value in summary.items() if key not in SAFE_TEXT and key != "listclean"}
    line["counts"] = {key: value for key, value in counts.items() if value is not None}
    text = json.dumps(line, ensure_ascii=False, sort_keys=False) + "\n"
    target = Path(path)
    if not target.parent.is_dir():
        raise OutputError(f"--log {path}: directory {str(target.parent)!r} does not exist", hint="create it first")
    try:
        # One write of one line in append mode: concurrent runs never interleave within a line.
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(f"--log {path}: cannot append ({exc.strerror or exc})") from None
