"""Street addresses folded for comparison (not for display).

``fold_street`` turns ``address_line1``/``address_line2`` text into a comparison key, with
Polars expressions only (no Python per row):

1. lower-case; ``c/o`` becomes ``care of``; ``c/`` at the start of a word is ``calle``
   (Spanish ``C/ Mayor``); ``#`` is a unit marker; ``º``/``°`` are read as a dot
   (``nº 5``, ``n° 5``);
2. accents removed (NFKD), letters that do not decompose spelled out and Cyrillic/Greek
   transliterated — the table `fold_name` uses (``ß`` → ``ss``: ``Straße`` → ``strasse``);
3. apostrophes dropped (``O'Connell`` → ``oconnell``), every other punctuation mark a space,
   whitespace collapsed;
4. a number marker before a number dropped (``nr 5``, ``no. 5``, ``nº 5``, ``número 5`` → ``5``);
5. the German and Dutch street suffix spelled out: ``hauptstr.``/``hauptstr`` → ``hauptstrasse``,
   ``kerkstraat`` → ``kerkstrasse`` (``str.`` is the abbreviation of both, so both read as
   ``strasse``);
6. each word that is a street-type abbreviation or a unit marker replaced by one form,
   whatever the language (see ``STREET_WORDS``); repeated unit markers (``apt #5``) made one;
7. null when nothing is left (or only a unit marker).

The word rules are language-neutral on purpose: a folded key is only ever compared with another
folded key, so a word read the same way on both sides cannot part two spellings of one address.
The price is that a few words are read as one type whatever they meant: ``st`` is ``street``
(also in ``St Kilda``, which becomes ``street kilda`` on both sides), ``dr`` is ``drive``,
``pl`` is ``place`` (English *Place*, Polish *plac*, French *place*, German *Pl.* for *Platz*),
``al`` is ``aleja`` and ``av``/``ave``/``avda``/``avenida`` are all ``avenue``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from listclean.linkage.names import unaccented

if TYPE_CHECKING:
    import polars as pl

UNIT: Final = "unit"

# Folded word -> its one form. Every value maps to itself (is not a key), so folding is idempotent.
STREET_WORDS: Final[dict[str, str]] = {
    # street types (English)
    "st": "street", "str": "strasse", "rd": "road", "ave": "avenue", "av": "avenue", "avn": "avenue",
    "dr": "drive", "drv": "drive", "ln": "lane", "pl": "place", "ct": "court", "crt": "court",
    "cres": "crescent", "cresc": "crescent", "hwy": "highway", "hway": "highway", "blvd": "boulevard",
    "bvd": "boulevard", "bd": "boulevard", "boul": "boulevard", "sq": "square", "pkwy": "parkway",
    "pky": "parkway", "cir": "circle", "ctr": "centre", "center": "centre",
    # German, Dutch
    "straat": "strasse",
    # Polish
    "ul": "ulica", "al": "aleja", "plac": "place",
    # Spanish, Portuguese, Italian
    "avda": "avenue", "avd": "avenue", "avenida": "avenue", "ctra": "carretera", "pza": "plaza",
    # unit markers
    "apt": UNIT, "apartment": UNIT, "appt": UNIT, "app": UNIT, "appartement": UNIT, "apto": UNIT,
    "apartamento": UNIT, "dpto": UNIT, "depto": UNIT, "flat": UNIT, "suite": UNIT, "ste": UNIT,
    "whg": UNIT, "wohnung": UNIT,
}  # fmt: skip

_NUMBER_MARKERS: Final = ("nr", "no", "n", "num", "numero", "nro")


def fold_street(expr: pl.Expr) -> pl.Expr:
    """A street address line folded for comparison (see the module's rules); null when nothing is left."""
    import polars as pl

    marked = (
        expr.str.to_lowercase()
        .str.replace_all(r"(^|[^\p{L}\p{N}])c/o($|[^\p{L}\p{N}])", "${1} care of ${2}")
        .str.replace_all(r"(^|[^\p{L}\p{N}])c/", "${1} calle ")
        .str.replace_all("#", f" {UNIT} ", literal=True)
        .str.replace_all(r"[º°ª]", ". ")
    )
    spaced = (
        unaccented(marked)
        .str.replace_all(r"['’ʼ`´]", "")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )
    markers = "|".join(_NUMBER_MARKERS)
    numbered = (
        (pl.lit(" ") + spaced)
        .str.replace_all(rf" (?:(?:{markers}) )+(\p{{N}})", " ${1}")
        .str.replace_all(r"(\p{L}{2})(?:str|straat)\b", "${1}strasse")
        .str.strip_chars()
    )
    words = numbered.str.split(" ").list.eval(pl.element().replace(STREET_WORDS))
    folded = words.list.join(" ").str.replace_all(rf"\b{UNIT}(?: {UNIT})+\b", UNIT).str.strip_chars()
    # A unit marker alone ("#") says nothing about where the person lives.
    return pl.when((folded.str.len_bytes() > 0) & (folded != UNIT)).then(folded)
