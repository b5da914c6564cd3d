"""Shell completion of option values that are not a fixed choice, from the registries.

Options whose values are an Enum (export --to, dedupe --match, validate --drop, --on-bad-rows …)
complete from it by themselves; these callbacks serve the free-text ones. Each runs on every
<Tab>, so each imports only its registry (never Polars) when it is called.
"""

from __future__ import annotations


def _matching(incomplete: str, names: dict[str, str]) -> list[tuple[str, str]]:
    return [(name, meaning) for name, meaning in names.items() if name.startswith(incomplete)]


def validate_counters(incomplete: str) -> list[tuple[str, str]]:
    """validate --fail-on: the statuses, then the reason codes (the name before the comparison)."""
    from listclean.email.reasons import REASONS, STATUS_ORDER

    names = {status: "email_status" for status in STATUS_ORDER}
    names.update({code: f"{reason.severity}: {reason.meaning}" for code, reason in REASONS.items()})
    return _matching(incomplete, names)


def decay_measures(incomplete: str) -> list[tuple[str, str]]:
    """decay-report --fail-on: the measures a threshold can name."""
    from listclean.steps.decay import MEASURES

    return _matching(incomplete, dict.fromkeys(MEASURES, "measure"))


def output_formats(incomplete: str) -> list[tuple[str, str]]:
    """--format: the formats listclean writes."""
    from listclean.io.write import WRITE_FORMATS

    return _matching(incomplete, dict.fromkeys(WRITE_FORMATS, "output format"))


def consent_policies(incomplete: str) -> list[tuple[str, str]]:
    """export --consent-policy: subscribed, and with it pending and/or unknown."""
    from itertools import combinations

    from listclean.platforms import POLICY_STATUSES

    base, *more = POLICY_STATUSES
    policies = ["+".join((base, *extra)) for size in range(len(more) + 1) for extra in combinations(more, size)]
    return _matching(incomplete, {policy: "exports " + ", ".join(policy.split("+")) for policy in policies})
