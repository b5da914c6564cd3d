"""Mixed-script and look-alike checks for internationalised addresses (UTS #39, simplified).

Run once per distinct non-ASCII address part. A part (the local part, or one domain
label) may use one script, or one of the combinations UTS #39's "highly restrictive"
profile allows (Latin with Han and Japanese kana, with Han and Bopomofo, or with Han
and Hangul). Anything else — typically Latin with Cyrillic or Greek — is `mixed_script`.
A domain whose UTS #39 skeleton (data/confusables_latin.txt: characters drawn like a Latin
letter) spells a known provider, a known real domain or another domain of the same list, but
which is not that domain ("gmаil.com" with a Cyrillic а, "ɡmail.com" with a script g,
"ıcloud.com" with a dotless i) is a `lookalike_domain`, with the real domain as suggestion.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Final

_ALLOWED_MIXES: Final = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


@functools.cache
def confusables() -> dict[int, str]:
    """code point -> the Latin letter it is drawn like (data/confusables_latin.txt, from UTS #39)."""
    from importlib import resources

    text = resources.files("listclean.data").joinpath("confusables_latin.txt").read_text(encoding="utf-8")
    table: dict[int, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _, target, *_ = line.split("\t")
            table[int(code[2:], 16)] = target
    return table


@functools.lru_cache(maxsize=65536)
def _script(char: str) -> str | None:
    if not char.isalpha():
        return None  # digits, punctuation and marks belong to every script
    name = unicodedata.name(char, "")
    first = name.split(" ", 1)[0]
    if first == "CJK":
        return "HAN"
    if first in {"FULLWIDTH", "HALFWIDTH"}:
        return name.split(" ")[1] if len(name.split(" ")) > 1 else None
    return first or None


def scripts(text: str) -> frozenset[str]:
    return frozenset(s for s in map(_script, text) if s)


def is_mixed(text: str) -> bool:
    found = scripts(text)
    if len(found) <= 1:
        return False
    return not any(found <= allowed for allowed in _ALLOWED_MIXES)


def skeleton(text: str) -> str:
    """UTS #39's skeleton, restricted to Latin targets: NFD, each look-alike character replaced by
    the Latin letter it is drawn like, NFD again. ɡmail.com, ıcloud.com and gmаil.com (Cyrillic а)
    all have the skeleton gmail.com / icloud.com; an accented letter keeps its accent (é is not e)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(confusables()))


def imitated(domain: str, targets: frozenset[str] | set[str]) -> str | None:
    """The known domain a non-ASCII domain imitates with look-alike characters, or None."""
    if domain.isascii():
        return None
    plain = skeleton(domain)
    return plain if plain != domain and plain in targets else None
