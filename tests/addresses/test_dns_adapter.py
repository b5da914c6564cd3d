"""The dnspython adapter turns resolver answers and errors into listclean's DNS outcomes.

No network: dnspython's Resolver.resolve is replaced by a table of answers per (domain, type).
"""

from __future__ import annotations

from types import SimpleNamespace

import dns.exception
import dns.name
import dns.resolver
import pytest

from listclean.email import dns as listclean_dns

NOT_THERE = dns.resolver.NXDOMAIN
EMPTY = dns.resolver.NoAnswer
SLOW = dns.exception.Timeout


def mx(*hosts: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(exchange=dns.name.from_text(host)) for host in hosts]


ANSWERS = {
    ("mail.example", "MX"): mx("mx1.mail.example.", "mx2.mail.example."),
    ("nomail.example", "MX"): mx("."),
    ("web-only.example", "MX"): EMPTY,
    ("web-only.example", "A"): ["192.0.2.1"],
    ("v6-only.example", "MX"): EMPTY,
    ("v6-only.example", "A"): EMPTY,
    ("v6-only.example", "AAAA"): ["2001:db8::1"],
    ("bare.example", "MX"): EMPTY,
    ("bare.example", "A"): EMPTY,
    ("bare.example", "AAAA"): EMPTY,
    ("gone.example", "MX"): NOT_THERE,
    ("slow.example", "MX"): SLOW,
    ("broken.example", "MX"): dns.resolver.NoNameservers,
}


@pytest.fixture(autouse=True)
def fake_dnspython(monkeypatch):
    asked = []

    def resolve(self, domain, record_type, lifetime=None):  # noqa: ANN001
        asked.append((domain, record_type, lifetime))
        answer = ANSWERS[(domain, record_type)]
        if isinstance(answer, type) and issubclass(answer, Exception):
            raise answer()
        return answer

    monkeypatch.setattr(dns.resolver.Resolver, "__init__", lambda self, *a, **k: None)
    monkeypatch.setattr(dns.resolver.Resolver, "resolve", resolve)
    return asked


@pytest.mark.parametrize(
    ("domain", "outcome"),
    [
        ("mail.example", listclean_dns.MX),
        ("nomail.example", listclean_dns.NULL_MX),
        ("web-only.example", listclean_dns.A_ONLY),
        ("v6-only.example", listclean_dns.A_ONLY),
        ("bare.example", listclean_dns.NO_RECORDS),
        ("gone.example", listclean_dns.NXDOMAIN),
        ("slow.example", listclean_dns.FAILED),
        ("broken.example", listclean_dns.FAILED),
    ],
)
def test_each_resolver_answer_maps_to_its_outcome(domain, outcome):
    assert listclean_dns.dnspython_resolver(domain, 2.0) == outcome


def test_the_timeout_is_passed_to_every_lookup(fake_dnspython):
    listclean_dns.dnspython_resolver("v6-only.example", 1.5)
    assert [(record, lifetime) for _, record, lifetime in fake_dnspython] == [("MX", 1.5), ("A", 1.5), ("AAAA", 1.5)]
