"""Compressed inputs (gzip, bzip2, xz, zstd), read transparently: exports often arrive compressed.

The file is decompressed, as a stream, into the workspace, and the copy is read as any input
(sniffed again, so a .csv.gz is CSV and a .parquet.gz Parquet). zstd needs the optional
`zstandard` package; without it a .zst file is refused with what to do instead.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import lzma
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO

from listclean.errors import InputError
from listclean.io.read.registry import Format, read_local, register
from listclean.io.read.source import ReadOptions, Source
from listclean.io.read.workspace import Workspace

_SUFFIXES = {"gzip": (".gz", ".gzip"), "bzip2": (".bz2",), "xz": (".xz",), "zstd": (".zst", ".zstd")}


def _zstd_open(path: Path) -> IO[bytes]:
    try:
        import zstandard
    except ImportError:
        raise InputError(
            "is compressed with zstd, which needs the optional zstandard package",
            source=str(path),
            hint="pip install zstandard, or decompress it first: listclean import <(zstd -dc FILE)",
        ) from None
    return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)  # noqa: SIM115


_OPENERS: dict[str, Callable[[Path], IO[bytes]]] = {
    "gzip": lambda path: gzip.open(path, "rb"),
    "bzip2": lambda path: bz2.open(path, "rb"),
    "xz": lambda path: lzma.open(path, "rb"),
    "zstd": _zstd_open,
}


def read_compressed(local: Path, name: str, head: bytes, options: ReadOptions, workspace: Workspace, *, kind: str) -> Source:
    target = workspace.path(".decompressed")
    try:
        with _OPENERS[kind](local) as stream, open(target, "wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
    except InputError as error:
        raise InputError(error.message.removeprefix(f"{local}: "), source=name, hint=error.hint) from None
    except (OSError, EOFError, lzma.LZMAError) as error:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            raise InputError("no space left to decompress it in the temporary directory", source=name, hint="free space, or set TMPDIR") from None
        raise InputError(f"is {kind}-compressed but cannot be decompressed ({error})", source=name, hint="the file may be cut off; fetch it again") from None
    except Exception as error:  # noqa: BLE001 - zstandard raises its own error type
        raise InputError(f"is {kind}-compressed but cannot be decompressed ({error})", source=name, hint="the file may be cut off; fetch it again") from None
    inner = name
    for suffix in _SUFFIXES[kind]:
        if inner.lower().endswith(suffix):
            inner = inner[: -len(suffix)]
    return read_local(target, name, options, workspace, sniff_as=inner)


register(Format("gzip", partial(read_compressed, kind="gzip"), magic=(b"\x1f\x8b",), wraps=True, listed=False))
def _is_bzip2(head: bytes) -> bool:
    """'BZh', the block size (1-9) and the first block's (or the end-of-stream) magic: text may open with 'BZh'."""
    return head[:3] == b"BZh" and head[3:4] in tuple(b"123456789"[i : i + 1] for i in range(9)) and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90")


register(Format("bzip2", partial(read_compressed, kind="bzip2"), detect=_is_bzip2, wraps=True, listed=False))
register(Format("xz", partial(read_compressed, kind="xz"), magic=(b"\xfd7zXZ\x00",), wraps=True, listed=False))
register(Format("zstd", partial(read_compressed, kind="zstd"), magic=(b"\x28\xb5\x2f\xfd",), wraps=True, listed=False))
