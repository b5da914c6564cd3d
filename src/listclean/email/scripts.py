"""Mixed-script and look-alike checks for internationalised addresses (UTS #39, simplified).

Run once per distinct non-ASCII address part. A part (the local part, or one domain
label) may use one script, or one of the combinations UTS #39's "highly restrictive"
profile allows (Latin with Han and Japanese kana, with Han and Bopomofo, or with Han
and Hangul). Anything else — typically Latin with Cyrillic or Greek — is `mixed_script`.
A domain whose letters, mapped through a small confusables table, spell a known
provider ("gmаil.com" with a Cyrillic а) is a `lookalike_domain`.
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
# Cyrillic and Greek letters drawn like Latin ones (a subset of Unicode's confusables.txt).
CONFUSABLES: Final = str.maketrans(
    "аеорсхуікјѕԁһӏптвмнАВЕКМНОРСТХУІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcxyikjsdhlntbmhABEKMHOPCTXYIJSaBeiKvopTuxABEZHIKMNOPTYX",
)


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
    return text.translate(CONFUSABLES)
