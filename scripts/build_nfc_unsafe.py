"""Regenerate src/listclean/data/nfc_unsafe.txt: the code points a text must not hold for Unicode
NFC to leave it as it is.

    python scripts/build_nfc_unsafe.py

standardize.clean_text_values skips the cleaning chain (NFC above all, the costly step) for
values that hold none of these characters (and no space but single ASCII ones, no control or
invisible character): such a value is NFC already, whatever Unicode version the normaliser
knows. The set is what Unicode's NFC quick check does not answer "yes" for, and more:

- every code point this Python's Unicode database leaves unassigned (a character added later may
  be a combining mark);
- every character with a non-zero canonical combining class (it may be reordered);
- every character NFC changes on its own (singletons, composition exclusions: NFC_QC=No);
- the second character of every primary composite, and the Hangul vowel and trailing jamo:
  each may compose with the character before it (NFC_QC=Maybe).

Unicode's stability policy keeps the normal form of assigned characters fixed, so a file built
with an older database than the normaliser's is still right (it only refuses more).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "src" / "listclean" / "data" / "nfc_unsafe.txt"


def unsafe_code_points() -> set[int]:
    unsafe: set[int] = set()
    for point in range(0x80, 0x110000):
        char = chr(point)
        if 0xD800 <= point <= 0xDFFF:
            continue  # surrogates: never in a Polars (UTF-8) string, and no regex may name them
        if unicodedata.category(char) == "Cn" or unicodedata.combining(char) or unicodedata.normalize("NFC", char) != char:
            unsafe.add(point)
            continue
        decomposition = unicodedata.decomposition(char)
        if decomposition and not decomposition.startswith("<"):
            parts = [int(part, 16) for part in decomposition.split()]
            if len(parts) == 2:  # a primary composite: its second character composes with a first
                unsafe.add(parts[1])
    unsafe.update(range(0x1161, 0x1176))  # Hangul vowel jamo (V)
    unsafe.update(range(0x11A8, 0x11C3))  # Hangul trailing jamo (T)
    return unsafe


def ranges(points: set[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for point in sorted(points):
        if out and out[-1][1] == point - 1:
            out[-1][1] = point
        else:
            out.append([point, point])
    return [(start, end) for start, end in out]


def main() -> None:
    lines = [
        "# Code points that may change under Unicode NFC (scripts/build_nfc_unsafe.py;",
        f"# Unicode {unicodedata.unidata_version}). One range per line: first last, hexadecimal.",
    ]
    lines += [f"{start:X} {end:X}" for start, end in ranges(unsafe_code_points())]
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(lines) - 2} ranges")


if __name__ == "__main__":
    main()
