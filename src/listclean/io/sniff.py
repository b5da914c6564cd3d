"""Guess what a file is from its bytes: text encoding, delimiter, header.

Everything here looks at a bounded sample, so sniffing costs the same on a 1 KB
and a 1 GB file. The user can override every guess (--format, --encoding, -d,
--no-header); each guess that may be wrong is reported as a notice. Which format a
file is sniffed as is declared by each format where it registers (its magic bytes,
how its text opens, its extensions: ``io.read.registry``), so the list of formats
lives in one place.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")


_EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Encoding:
    name: str  # Python codec name
    bom_length: int = 0
    detected: bool = False  # True when guessed (not UTF-8/BOM and not given by the user)
    damaged_lines: tuple[int, ...] = ()  # UTF-8 with a few invalid bytes: the lines holding them


def strip_bom(data: bytes) -> bytes:
    """The data without a leading byte-order mark, as UTF-8 (for looking at how text opens)."""
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(bom):
            return data[len(bom) :].decode(_BOMS[bom], errors="ignore").encode("utf-8")
    return data


_BOMS = {
    codecs.BOM_UTF8: "utf-8",
    codecs.BOM_UTF32_LE: "utf-32-le",
    codecs.BOM_UTF32_BE: "utf-32-be",
    codecs.BOM_UTF16_LE: "utf-16-le",
    codecs.BOM_UTF16_BE: "utf-16-be",
}


def sniff_bom(head: bytes) -> Encoding | None:
    # UTF-32 LE's BOM starts with UTF-16 LE's, so test the longer ones first.
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            return Encoding(name, len(bom))
    return None


def sniff_utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text of mostly ASCII has a NUL in every other byte."""
    sample = head[: 4096 - (len(head[:4096]) % 2)]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def is_utf8_prefix(data: bytes) -> bool:
    """Whether the bytes are UTF-8, allowing a character cut off at their end (the head of a file)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def first_invalid_utf8(stream: io.BufferedIOBase, chunk_size: int = 1 << 20) -> int | None:
    """Byte offset of the first invalid UTF-8 sequence in the stream, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0  # bytes handed to the decoder so far
    while True:
        chunk = stream.read(chunk_size)
        pending = len(decoder.getstate()[0])  # bytes of a character cut at the last boundary
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start
        if not chunk:
            return None
        offset += len(chunk)


# Non-ASCII letters that are common in text written in cp1252 (Western European) or cp1250
# (Central European). A byte that decodes to a common letter in one and to a symbol in the
# other is evidence; bytes that mean the same letter in both (ä ö ü ß é ç) are neutral.
_WESTERN = set("àâäçèéêëîïôöùûüÿñÀÂÄÇÈÉÊËÎÏÔÖÙÛÜŸÑßáíóúÁÍÓÚãõÃÕåæøÅÆØœŒ€")
_CENTRAL = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻčďěňřšťůžČĎĚŇŘŠŤŮŽőűŐŰăâîșțĂÂÎȘȚľĺŕĽĹŔäöüÄÖÜßéáíúý€")
_CJK = ("cp932", "gb18030", "big5", "euc_kr")


def guess_legacy_encoding(sample: bytes) -> str:
    """Best legacy code page for non-UTF-8 bytes; cp1252 when nothing fits better."""
    cjk = _guess_cjk(sample)
    if cjk is not None:
        return cjk
    western = sum(ch in _WESTERN for ch in sample.decode("cp1252", errors="replace"))
    central = sum(ch in _CENTRAL for ch in sample.decode("cp1250", errors="replace"))
    if central > western:
        return "cp1250"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # decodes any byte; cp1252 leaves five bytes undefined


def _guess_cjk(sample: bytes) -> str | None:
    """A CJK double-byte encoding, when the bytes decode as one and read as such text.

    Decoding is no evidence (cp932 decodes most Latin-1 bytes, as half-width katakana), so
    the decoded text must also be plausible: its non-ASCII characters mostly ideographs,
    kana or hangul, and not half-width katakana."""
    decodable = []
    for encoding in _CJK:
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible_cjk(text):
            decodable.append(encoding)
    if not decodable:
        return None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample, cp_isolation=[*decodable, "cp1252", "cp1250"]).best()
    except Exception:  # noqa: BLE001 - detection is best effort; single-byte guessing follows
        return None
    return best.encoding if best is not None and best.encoding in decodable else None


def _plausible_cjk(text: str) -> bool:
    """Text whose non-ASCII characters read as Chinese, Japanese or Korean writing."""
    plausible = implausible = 0
    for char in text:
        code = ord(char)
        if code < 0x80:
            continue
        if 0x3000 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xFF01 <= code <= 0xFF60 or 0x1100 <= code <= 0x11FF:
            plausible += 1
        else:  # half-width katakana (what Latin-1 letters become in cp932), Latin, symbols
            implausible += 1
    return plausible >= 2 and implausible * 10 <= plausible


def utf8_damage(stream: io.BufferedIOBase, chunk_size: int = 1 << 20) -> tuple[int, int, list[int]]:
    """(valid multi-byte characters, invalid bytes, lines holding invalid bytes) of UTF-8 text:
    a file with more valid multi-byte characters than invalid bytes is UTF-8 with damage,
    not text in a legacy code page (whose letters are single bytes, invalid as UTF-8)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    valid = invalid = 0
    lines: list[int] = []
    line = 1
    while True:
        chunk = stream.read(chunk_size)
        text = decoder.decode(chunk, final=not chunk)
        if text and not text.isascii():
            for number, part in enumerate(text.split("\n")):
                if not part.isascii():
                    bad = sum(1 for char in part if 0xDC80 <= ord(char) <= 0xDCFF)
                    valid += sum(1 for char in part if ord(char) >= 0x80) - bad
                    if bad:
                        invalid += bad
                        if not lines or lines[-1] != line + number:
                            lines.append(line + number)
        line += text.count("\n")
        if not chunk:
            return valid, invalid, lines


_LONE_CR = re.compile(rb"\r(?!\n)")


def lone_cr_line_ends(head: bytes, whole: bool) -> bool:
    """Whether some line of the text ends with a lone CR (classic Mac OS, or a mix of CR and LF
    line ends): a CR not followed by LF and outside quotes. (`whole`: the head is the whole file,
    so a CR at its very end ends a line too.)"""
    quotes, previous = 0, 0
    for match in _LONE_CR.finditer(head):
        position = match.start()
        if position == len(head) - 1 and not whole:
            break  # an LF may follow beyond the head
        quotes += head.count(b'"', previous, position)
        previous = position
        if quotes % 2 == 0:
            return True
    return False


def physical_lines(text: str) -> list[str]:
    """The text's lines with their ends, split at LF, CRLF and CR only (``str.splitlines`` also
    splits at vertical tab, form feed and Unicode line separators, which are cell content here)."""
    return io.StringIO(text, newline="").readlines()


def sniff_delimiter(text_sample: str) -> str:
    """The delimiter among DELIMITERS that splits the sample's rows most consistently."""
    lines = [line.rstrip("\r\n") for line in physical_lines(text_sample)]
    if len(lines) > 1 and not text_sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a sample may be cut in the middle
    lines = [line for line in lines[:200] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", (0.0, 1)
    for candidate in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=candidate)]
        except csv.Error:
            continue
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        if mode < 2:
            continue
        consistency = counts.count(mode) / len(counts)
        score = (consistency, mode)
        if score > best_score:
            best, best_score = candidate, score
    return best


def looks_like_data_row(cells: list[str | None]) -> bool:
    """A first row holding an email address is data, not a header."""
    return any(cell is not None and _EMAIL_LIKE.match(cell.strip()) for cell in cells)
