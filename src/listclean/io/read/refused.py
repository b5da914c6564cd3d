"""Binary files listclean does not read, recognised by their first bytes and refused by name.

Without this they fell through to the text reader and came out as a garbage header, 0 rows or
one garbage contact at exit 0. Each record names the format and what to do instead.
"""

from __future__ import annotations

from pathlib import Path

from listclean.errors import InputError
from listclean.io.read.registry import Format, register
from listclean.io.read.source import ReadOptions, Source
from listclean.io.read.workspace import Workspace

_DBASE_VERSIONS = frozenset(b"\x02\x03\x04\x05\x30\x31\x32\x43\x63\x83\x8b\x8e\xcb\xf5\xfb")


def is_dbase(head: bytes) -> bool:
    """A dBase/FoxPro table: version byte, a last-update date, and a header of 32-byte field descriptors."""
    if len(head) < 33 or head[0] not in _DBASE_VERSIONS:
        return False
    month, day = head[2], head[3]
    header_length = int.from_bytes(head[8:10], "little")
    record_length = int.from_bytes(head[10:12], "little")
    if not (1 <= month <= 12 and 1 <= day <= 31) or record_length == 0 or header_length < 65:
        return False
    end = head.find(b"\x0d", 32)  # the descriptors end with 0x0D
    return end >= 32 and (end - 32) % 32 == 0


def _refuse(what: str, hint: str):  # -> a Reader
    def read(local: Path, name: str, head: bytes, options: ReadOptions, workspace: Workspace) -> Source:
        raise InputError(f"is {what}, not a contact list listclean reads", source=name, hint=hint)

    return read


_EXPORT = "export it as CSV, Excel or Parquet first"
register(Format("dbase", _refuse("a dBase/FoxPro table (.dbf)", _EXPORT), detect=is_dbase, listed=False))
register(Format("pdf", _refuse("a PDF document", "export the list itself as CSV"), magic=(b"%PDF-",), listed=False))
register(Format("sqlite", _refuse("an SQLite database", "export the table as CSV (sqlite3 -csv -header DB 'select * from TABLE')"), magic=(b"SQLite format 3\x00",), listed=False))
register(Format("7z", _refuse("a 7-Zip archive", "extract it first"), magic=(b"7z\xbc\xaf\x27\x1c",), listed=False))
register(Format("rar", _refuse("a RAR archive", "extract it first"), magic=(b"Rar!\x1a\x07",), listed=False))
register(Format("image", _refuse("an image", _EXPORT), magic=(b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a"), listed=False))
register(Format("executable", _refuse("a program", "name the exported list instead"), magic=(b"\x7fELF", b"MZ\x90\x00"), listed=False))
