"""The optional DNS tier (--dns): can the domain receive mail at all?

Once per distinct domain, concurrently, with a timeout and an on-disk cache:

- MX records                    -> fine (no reason)
- a null MX (RFC 7505: "0 .")   -> dns_null_mx        (invalid: the domain says it takes no mail)
- no MX but A/AAAA              -> dns_a_fallback     (info: RFC 5321 implicit MX)
- no MX, A or AAAA              -> dns_no_mail_server (invalid)
- NXDOMAIN                      -> dns_no_domain      (invalid)
- timeout, SERVFAIL, no network -> dns_unavailable    (unknown; never cached)

Nothing here asks a mail server whether a mailbox exists: that needs SMTP probing,
which listclean does not do, so "the mailbox exists" is never claimed.

The resolver is injected: dnspython (already installed with email-validator) in
real runs, a fake in tests, so the test suite never touches the network.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

# What a lookup found, as stored in the cache.
MX: Final = "mx"
NULL_MX: Final = "null_mx"
A_ONLY: Final = "a_only"
NO_RECORDS: Final = "no_records"
NXDOMAIN: Final = "nxdomain"
FAILED: Final = "failed"

REASON: Final[dict[str, str | None]] = {
    MX: None,
    NULL_MX: "dns_null_mx",
    A_ONLY: "dns_a_fallback",
    NO_RECORDS: "dns_no_mail_server",
    NXDOMAIN: "dns_no_domain",
    FAILED: "dns_unavailable",
}

Resolver = Callable[[str, float], str]  # (ascii domain, timeout seconds) -> one of the outcomes above


def dnspython_resolver(domain: str, timeout: float) -> str:
    import dns.exception
    import dns.resolver

    resolver = dns.resolver.Resolver()
    try:
        answer = resolver.resolve(domain, "MX", lifetime=timeout)
        exchanges = [str(record.exchange) for record in answer]
        if len(exchanges) == 1 and exchanges[0] in {".", ""}:
            return NULL_MX
        return MX
    except dns.resolver.NXDOMAIN:
        return NXDOMAIN
    except dns.resolver.NoAnswer:
        pass
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout, OSError):
        return FAILED
    except dns.exception.DNSException:
        return FAILED
    for record_type in ("A", "AAAA"):
        try:
            resolver.resolve(domain, record_type, lifetime=timeout)
            return A_ONLY
        except dns.resolver.NXDOMAIN:
            return NXDOMAIN
        except dns.resolver.NoAnswer:
            continue
        except dns.exception.DNSException:
            return FAILED
    return NO_RECORDS


def default_cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "listclean" / "dns.sqlite"


@dataclass
class DnsChecker:
    resolver: Resolver = dnspython_resolver
    timeout: float = 5.0
    workers: int = 32
    cache_path: Path | None = field(default_factory=default_cache_path)
    max_age_days: float = 7.0
    now: Callable[[], float] = time.time
    looked_up: int = 0
    from_cache: int = 0
    failed: int = 0

    def check(self, domains: Iterable[str]) -> dict[str, str | None]:
        """domain -> reason code (None when the domain has mail servers)."""
        wanted = sorted(set(domains))
        outcomes = self._cached(wanted)
        self.from_cache += len(outcomes)
        missing = [domain for domain in wanted if domain not in outcomes]
        if missing:
            with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(missing)))) as pool:
                fresh = dict(zip(missing, pool.map(self._lookup, missing)))
            self.looked_up += len(fresh)
            self.failed += sum(1 for outcome in fresh.values() if outcome == FAILED)
            self._store({d: o for d, o in fresh.items() if o != FAILED})
            outcomes.update(fresh)
        return {domain: REASON[outcomes[domain]] for domain in wanted}

    def stats(self) -> dict[str, int]:
        return {"looked_up": self.looked_up, "from_cache": self.from_cache, "failed": self.failed}

    def _lookup(self, domain: str) -> str:
        try:
            return self.resolver(domain, self.timeout)
        except Exception:  # noqa: BLE001 - a resolver failure is "unknown", not a crash
            return FAILED

    def _connect(self) -> sqlite3.Connection | None:
        if self.cache_path is None:
            return None
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.cache_path, timeout=10)
            connection.execute("CREATE TABLE IF NOT EXISTS dns (domain TEXT PRIMARY KEY, outcome TEXT, checked REAL)")
            return connection
        except (OSError, sqlite3.Error):
            return None  # an unusable cache only makes the run slower

    def _cached(self, domains: list[str]) -> dict[str, str]:
        connection = self._connect()
        if connection is None or not domains:
            return {}
        oldest = self.now() - self.max_age_days * 86400
        found: dict[str, str] = {}
        with connection:
            for start in range(0, len(domains), 500):
                chunk = domains[start : start + 500]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT domain, outcome FROM dns WHERE checked >= ? AND domain IN ({marks})"
                found.update(connection.execute(query, [oldest, *chunk]).fetchall())
        connection.close()
        return found

    def _store(self, outcomes: dict[str, str]) -> None:
        connection = self._connect()
        if connection is None or not outcomes:
            return
        checked = self.now()
        with connection:
            connection.executemany(
                "INSERT OR REPLACE INTO dns VALUES (?, ?, ?)", [(d, o, checked) for d, o in outcomes.items()]
            )
        connection.close()


def dns_checker(timeout: float = 5.0, cache: str | None = None) -> DnsChecker:
    """The checker validate --dns uses: dnspython, `timeout` seconds a lookup, a cache file
    (None: the default cache path; "": no cache)."""
    from pathlib import Path

    cache_path = default_cache_path() if cache is None else (Path(cache) if cache else None)
    return DnsChecker(resolver=dnspython_resolver, timeout=timeout, cache_path=cache_path)
