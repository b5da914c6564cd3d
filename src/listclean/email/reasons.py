"""Reason codes: the stable vocabulary behind every email verdict.

Each code has a severity; an address's `email_status` is the most severe of its
reasons (suppressed > invalid > risky > unknown > valid). Codes are part of the
CLI contract: scripts filter on them, so they are never renamed, only added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Severities, most severe first. "info" reasons explain without changing a valid verdict.
SUPPRESSED: Final = "suppressed"
INVALID: Final = "invalid"
RISKY: Final = "risky"
UNKNOWN: Final = "unknown"
INFO: Final = "valid"

STATUS_ORDER: Final = (SUPPRESSED, INVALID, RISKY, UNKNOWN, INFO)


@dataclass(frozen=True)
class Reason:
    code: str
    severity: str
    meaning: str


_REASONS: Final = (
    # --- the cell itself
    Reason("missing", INVALID, "no address in the row"),
    Reason("multiple_addresses", RISKY, "the cell holds several addresses; the first is judged, the others are in email_alternates"),
    # --- repairs (the repaired address is what gets judged; `email` keeps what was typed)
    Reason("repaired_whitespace", INFO, "spaces around the address removed"),
    Reason("repaired_invisible", INFO, "zero-width or non-breaking spaces removed"),
    Reason("repaired_mailto", INFO, "a mailto: prefix removed"),
    Reason("repaired_display_name", INFO, "display name and angle brackets removed (Name <a@b.com>)"),
    Reason("repaired_fullwidth_at", INFO, "a full-width ＠ or small ﹫ replaced by @"),
    Reason("repaired_trailing_dot", INFO, "trailing dots or punctuation after the domain removed"),
    Reason("typo_fixed", INFO, "a high-confidence domain typo was corrected (--fix-typos); email keeps the original"),
    # --- syntax (email-validator's verdict; the code names its message)
    Reason("no_at_sign", INVALID, "no @-sign"),
    Reason("empty_local_part", INVALID, "nothing before the @-sign"),
    Reason("empty_domain", INVALID, "nothing after the @-sign"),
    Reason("too_long", INVALID, "longer than the 254 bytes (or 63-byte domain labels) mail allows"),
    Reason("misplaced_dot", INVALID, "a dot or hyphen at the start or end, or two in a row"),
    Reason("invalid_characters", INVALID, "characters an address cannot contain"),
    Reason("quoted_local_part", INVALID, "a quoted part before the @-sign (legal in RFC 5321, refused by mail platforms)"),
    Reason("domain_literal", INVALID, "an IP address in brackets instead of a domain"),
    Reason("domain_without_dot", INVALID, "the domain has no dot"),
    Reason("invalid_domain", INVALID, "the domain is not a valid (internationalised) host name"),
    Reason("syntax", INVALID, "not an email address for another syntax reason"),
    # --- domain
    Reason("reserved_domain", INVALID, "a special-use or reserved domain (example.com/.net/.org, .example, .test, .invalid, .local, localhost, .onion, .arpa, .internal, .alt)"),
    Reason("unknown_tld", INVALID, "the top-level domain does not exist (Public Suffix List snapshot)"),
    Reason("lookalike_domain", INVALID, "the domain imitates a well-known provider with look-alike characters"),
    Reason("domain_typo", RISKY, "the domain looks like a typo of a well-known provider; see email_suggestion"),
    Reason("disposable", RISKY, "a disposable (throw-away) email service"),
    Reason("mixed_script", RISKY, "letters from several scripts mixed in one part (possible spoof)"),
    Reason("privacy_relay", INFO, "a privacy relay (Hide My Email, Firefox Relay, DuckDuckGo, SimpleLogin...): deliverable, forwards to a hidden inbox"),
    Reason("free_mail", INFO, "a consumer mailbox provider (personal rather than company address)"),
    # --- local part
    Reason("role_no_reply", INVALID, "a no-reply or mailer-daemon address: nobody reads it"),
    Reason("role_standard", RISKY, "a standard administrative mailbox (postmaster, abuse, hostmaster, webmaster...)"),
    Reason("role_generic", INFO, "a shared team mailbox (info, sales, support, contact...)"),
    # --- consent and suppression
    Reason("unsubscribed", SUPPRESSED, "consent_status is unsubscribed"),
    Reason("cleaned", SUPPRESSED, "consent_status is cleaned (the platform removed it after bounces)"),
    Reason("bounced", SUPPRESSED, "consent_status is bounced"),
    Reason("complained", SUPPRESSED, "consent_status is complained (marked as spam)"),
    Reason("erased", SUPPRESSED, "consent_status is erased (data-protection erasure)"),
    Reason("suppression_list", SUPPRESSED, "the address or its SHA-256 is in a --suppress list"),
    Reason("consent_pending", INFO, "double opt-in not confirmed yet"),
    # --- DNS tier (--dns)
    Reason("dns_no_domain", INVALID, "the domain does not exist (NXDOMAIN)"),
    Reason("dns_null_mx", INVALID, "the domain publishes a null MX: it accepts no mail"),
    Reason("dns_no_mail_server", INVALID, "the domain has no MX, A or AAAA record"),
    Reason("dns_a_fallback", INFO, "no MX record; mail would go to the domain's A/AAAA address"),
    Reason("dns_unavailable", UNKNOWN, "the DNS lookup timed out or failed; judged without it"),
)

REASONS: Final[dict[str, Reason]] = {reason.code: reason for reason in _REASONS}


def severity_rank() -> dict[str, int]:
    """code -> rank in STATUS_ORDER (0 is the most severe)."""
    return {code: STATUS_ORDER.index(reason.severity) for code, reason in REASONS.items()}
