"""Domain typo suggestions: gmial.com -> gmail.com, yahoo.con -> yahoo.com, hotmail.co -> hotmail.com.

Rules, in order (each decided once per distinct domain):

1. A domain we know (a listed provider or relay, or a real domain of data/known_domains.txt: the
   providers' other country domains, real companies beside them) is never "corrected".
   Disposable services are not exempt: several register typos of big providers (gmial.com,
   hotmial.com) to catch mail.
2. Punctuation slips: `gmail,com`, `gmail..com`, `gmailcom`, `.gmail.com.`, a moved dot
   (`dau.mnet`) -> the known domain they spell.
3. Near misses of a *popular* provider within one keystroke (insert, delete, substitute, swap;
   OSA distance 1) or two for long names. An edit inside the provider's name is only trusted
   when the name has at least five letters: one keystroke away from aol.com or msn.com lie
   many real companies, one keystroke away from hotmail.com lies nothing but typos.
   An edit in the suffix alone, to a suffix that exists, is only trusted inside the generic part
   (`gmail.co`/`.cm`/`.om` -> .com, `hotmail.co.br` -> .com.br): big providers hold their name
   under many country codes, so outlook.at, hotmail.ie and uol.com.ar are real, not slips of
   outlook.it, hotmail.de and uol.com.br.
4. A top-level domain that does not exist but is a common slip for one that does (.con, .cmo, .ocm,
   .nte, .ogr...) -> the intended TLD, for any domain.

A suggestion is *confident* (applied by --fix-typos) when it is the only candidate at its
distance, the distance is one, and the typed domain's TLD does not exist or the edit is in the
name of a long provider name. Everything else is only suggested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from listclean.email.lists import known_domains, providers, public_suffixes

# Slips that turn a TLD into one that does not exist.
TLD_SLIPS: Final[dict[str, str]] = {
    "con": "com", "cmo": "com", "ocm": "com", "cpm": "com", "vom": "com", "xom": "com", "comm": "com",
    "coom": "com", "cim": "com", "cok": "com", "clm": "com", "cojm": "com", "comn": "com", "coml": "com",
    "c0m": "com", "co0m": "com", "ccom": "com", "comj": "com", "xcom": "com", "vcom": "com", "ckm": "com",
    "nte": "net", "ner": "net", "nett": "net", "bet": "net", "ney": "net", "nwt": "net", "mnet": "net",
    "ogr": "org", "orgg": "org", "prg": "org", "otg": "org", "irg": "org", "ord": "org", "orh": "org",
    "dee": "de", "frr": "fr", "ukk": "uk",
}
MIN_NAME_FOR_EDITS: Final = 5
LONG_NAME: Final = 8  # names this long may be two keystrokes off


@dataclass(frozen=True)
class Suggestion:
    domain: str
    confident: bool


# The generic part of a suffix (com.br's "com"): slips there stay within the same country.
GENERIC_LABELS: Final = frozenset({"com", "co", "net", "org", "ne", "or", "ac", "gov", "edu"})


def _known(domain: str) -> bool:
    return domain in providers().known or domain in known_domains()


def exists(domain: str) -> bool:
    """A domain known to exist: a listed provider or relay, or a listed real domain (never rewritten)."""
    return _known(domain)


def _country(rest: str) -> str | None:
    last = rest.rsplit(".", 1)[-1]
    return None if last in GENERIC_LABELS or len(last) != 2 else last


def _suffix_slip_trusted(typed_rest: str, provider_rest: str) -> bool:
    """A suffix edit (typed suffix exists) that is a slip, not another country: the same country
    code with a different generic part (com.jp/co.jp), or a one-label slip of a generic TLD
    (co, cm, om for com; ne for net)."""
    typed_country, provider_country = _country(typed_rest), _country(provider_rest)
    if provider_country is not None:
        return typed_country == provider_country
    return "." not in typed_rest and "." not in provider_rest


def _punctuation_slip(domain: str) -> str | None:
    import re

    cleaned = re.sub(r"[,;:]", ".", domain)
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip(".")
    if cleaned != domain and _known(cleaned):
        return cleaned
    if "." not in cleaned or public_suffixes().suffix(cleaned) is None:
        # gmailcom, or a dot in the wrong place (dau.mnet): the letters of a popular domain.
        letters = cleaned.replace(".", "")
        for candidate in providers().popular:
            if candidate.replace(".", "") == letters:
                return candidate
    return None


def _near_popular(domain: str) -> Suggestion | None:
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    popular = providers().popular
    matches = process.extract(domain, popular, scorer=OSA.distance, score_cutoff=2, limit=None)
    candidates: list[tuple[int, int, str, bool]] = []
    tld_exists = public_suffixes().suffix(domain) is not None
    for candidate, distance, index in matches:
        name = candidate.split(".", 1)[0]
        in_suffix_only = domain.startswith(name + ".")
        if not in_suffix_only and len(name) < MIN_NAME_FOR_EDITS:
            continue
        if distance == 2 and (in_suffix_only or len(name) < LONG_NAME):
            continue
        if in_suffix_only and tld_exists and not _suffix_slip_trusted(domain[len(name) + 1 :], candidate[len(name) + 1 :]):
            continue
        candidates.append((distance, index, candidate, in_suffix_only))
    if not candidates:
        return None
    candidates.sort()
    distance, _, best, in_suffix_only = candidates[0]
    unique = len(candidates) == 1 or candidates[1][0] > distance
    confident = unique and distance == 1 and (not tld_exists or not in_suffix_only)
    return Suggestion(best, confident)


def _tld_slip(domain: str) -> Suggestion | None:
    head, _, tld = domain.rpartition(".")
    if head and tld in TLD_SLIPS and tld not in public_suffixes().tlds:
        return Suggestion(f"{head}.{TLD_SLIPS[tld]}", confident=True)
    return None


def suggest(domain: str) -> Suggestion | None:
    """A suggested correction for a lower-case ASCII domain (or the text after an @), or None."""
    if not domain or _known(domain):
        return None
    slip = _punctuation_slip(domain)
    if slip:
        return Suggestion(slip, confident=True)
    return _near_popular(domain) or _tld_slip(domain)
