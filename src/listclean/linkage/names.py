"""Names and other identity text folded for comparison (not for display).

``fold_name``: lower-case ASCII letters, accents removed (NFKD), letters that do not
decompose spelled out (ł→l, ß→ss, ø→o, æ→ae…), Cyrillic and Greek transliterated
(simplified BGN/PCGN: Юлия→yuliya), everything that is not a letter dropped; Chinese,
Japanese and Korean names are kept as written. ``given_name_key``: the folded name, or
the key of its nickname group (bill, billy, will → william; kasia → catherine), from the
bundled ``data/nicknames.tsv``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

_LATIN = {
    "ł": "l", "Ł": "l", "ß": "ss", "ẞ": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
    "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i", "ħ": "h", "ŋ": "n",
}  # fmt: skip
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ј": "j", "љ": "lj",
    "њ": "nj", "ћ": "c", "ђ": "dj", "џ": "dz",
}  # fmt: skip
_GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i", "κ": "k",
    "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t",
    "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}  # fmt: skip
_TRANSLITERATION = {**_LATIN, **_CYRILLIC, **_GREEK}

# Legal-form words dropped from company names before comparing them.
COMPANY_FORMS = (
    "inc", "incorporated", "llc", "ltd", "limited", "plc", "corp", "corporation", "co", "company", "gmbh", "ag",
    "kg", "se", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "as", "aps", "kk", "sp", "zoo", "sro",
    "the", "group", "holding", "holdings", "z", "o", "oo", "spzoo",
)  # fmt: skip


def unaccented(expr: pl.Expr) -> pl.Expr:
    """Lower-case text with accents removed (NFKD) and the letters that do not decompose spelled
    out or transliterated (ł→l, ß→ss, Юлия→yuliya): what name and street folding share."""
    # Lower-case on both sides of NFKD: compatibility letters (ᴬ) decompose to capitals.
    return expr.str.to_lowercase().str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.to_lowercase().str.replace_many(_TRANSLITERATION)


def fold_name(expr: pl.Expr) -> pl.Expr:
    """Text folded for comparison; null when nothing comparable is left."""
    import polars as pl

    folded = (
        unaccented(expr)
        .str.replace_all(r"[^\p{L} ]", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    return pl.when(folded.str.len_bytes() > 0).then(folded)


def fold_company(expr: pl.Expr) -> pl.Expr:
    """Company name folded, legal forms (Inc, GmbH, Sp. z o.o.…) dropped."""
    import polars as pl

    words = fold_name(expr.str.replace_all(r"[.,&]", " ")).str.split(" ")
    kept = words.list.eval(pl.element().filter(~pl.element().is_in(COMPANY_FORMS))).list.join(" ")
    return pl.when(kept.str.len_bytes() > 0).then(kept)


@cache
def nickname_keys() -> dict[str, str]:
    """Folded given name -> its group key (the first group that lists it)."""
    keys: dict[str, str] = {}
    text = resources.files("listclean.data").joinpath("nicknames.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        names = line.split("\t")
        for name in names:
            keys.setdefault(name, names[0])
    return keys


def given_name_key(folded: pl.Expr) -> pl.Expr:
    """The nickname group of a folded given name (its first word), else the name itself."""
    import polars as pl

    first_word = folded.str.extract(r"^(\S+)", 1)
    keys = nickname_keys()
    return first_word.replace_strict(list(keys), list(keys.values()), default=first_word, return_dtype=pl.String)
