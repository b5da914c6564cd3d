"""`--fail-on` thresholds: "invalid>5%", "risky>=1000", "disposable>0" — for cron jobs that must notice.

A threshold names a counter (a status or a reason code of the command), a comparison
(> >= < <= =) and a number of rows or a percentage of all rows. Several may be given;
the run fails (exit 1) when any is crossed, after its outputs have been written.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from listclean.errors import UsageError

_PATTERN = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(>=|<=|>|<|==|=)\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")
_OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq, "==": operator.eq}


@dataclass(frozen=True)
class Threshold:
    name: str
    op: str
    value: float
    percent: bool

    def __str__(self) -> str:
        number = f"{self.value:g}{'%' if self.percent else ''}"
        return f"{self.name}{self.op}{number}"

    def measure(self, counts: Mapping[str, int], total: int, rates: Mapping[str, float] | None = None) -> float:
        if rates and self.name in rates:
            return rates[self.name]  # already a percentage (a decay or bounce rate)
        count = counts.get(self.name, 0)
        return (100.0 * count / total if total else 0.0) if self.percent else float(count)

    def crossed(self, counts: Mapping[str, int], total: int, rates: Mapping[str, float] | None = None) -> bool:
        return _OPERATORS[self.op](self.measure(counts, total, rates), self.value)


def parse_thresholds(texts: Iterable[str], known: Iterable[str]) -> list[Threshold]:
    names = set(known)
    found = []
    for text in texts:
        for part in filter(None, (p.strip() for p in text.split(","))):
            match = _PATTERN.match(part.lower())
            if not match:
                raise UsageError(f"--fail-on {part!r} is not a threshold", hint="write it like invalid>5% or risky>=100")
            name, op, number, percent = match.groups()
            if name not in names:
                raise UsageError(f"--fail-on {part!r}: unknown counter {name!r}", hint=f"use one of: {', '.join(sorted(names))}")
            found.append(Threshold(name, op, float(number), percent == "%"))
    return found


def crossed(thresholds: list[Threshold], counts: Mapping[str, int], total: int, rates: Mapping[str, float] | None = None) -> list[str]:
    """Human-readable descriptions of every crossed threshold."""
    out = []
    for threshold in thresholds:
        if threshold.crossed(counts, total, rates):
            measured = threshold.measure(counts, total, rates)
            shown = f"{measured:.2f}%" if threshold.percent or (rates and threshold.name in rates) else f"{measured:,.0f}"
            out.append(f"{threshold.name} is {shown} ({threshold})")
    return out
