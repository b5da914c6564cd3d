"""The labelled sets that measure typo suggestions: single-keystroke typos of popular
providers (label: the provider) and correctly spelled real domains (label: no suggestion)."""

from __future__ import annotations

from pathlib import Path

from listclean.email.lists import providers

_ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"]
_POSITION = {key: (row, col) for row, keys in enumerate(_ROWS) for col, key in enumerate(keys)}


def _neighbours(key: str) -> list[str]:
    if key not in _POSITION:
        return []
    row, col = _POSITION[key]
    out = []
    for other, (r, c) in _POSITION.items():
        if other != key and abs(r - row) <= 1 and abs(c - col) <= 1:
            out.append(other)
    return sorted(out)


def keystroke_typos(domain: str) -> set[str]:
    """Every string one keystroke away: a letter dropped, doubled, swapped, or hit on a neighbouring key."""
    typos = set()
    for i, char in enumerate(domain):
        typos.add(domain[:i] + domain[i + 1 :])  # dropped
        typos.add(domain[:i] + char + domain[i:])  # doubled
        for near in _neighbours(char):
            typos.add(domain[:i] + near + domain[i + 1 :])  # neighbouring key
            typos.add(domain[:i] + near + domain[i:])  # extra neighbouring key before
            typos.add(domain[: i + 1] + near + domain[i + 1 :])  # ...and after
        if i + 1 < len(domain):
            typos.add(domain[:i] + domain[i + 1] + char + domain[i + 2 :])  # swapped
    typos.discard(domain)
    return {t for t in typos if t and not t.startswith(".") and not t.endswith(".")}


def typo_set() -> dict[str, str]:
    """typo -> intended popular domain; typos that spell a listed domain or two providers are left out."""
    known = providers().known
    labelled: dict[str, str] = {}
    ambiguous: set[str] = set()
    for domain in providers().popular:
        for typo in keystroke_typos(domain):
            if typo in known:
                continue
            if typo in labelled and labelled[typo] != domain:
                ambiguous.add(typo)
            labelled.setdefault(typo, domain)
    return {typo: domain for typo, domain in labelled.items() if typo not in ambiguous}


def real_domains() -> list[str]:
    text = (Path(__file__).parent / "real_domains.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
