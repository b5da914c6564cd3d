"""The bundled domain and mailbox lists, loaded once per process.

Files live in listclean/data with their source, date and licence in a comment header
(see data/README.md): the disposable-domain blocklist, the Public Suffix List (ICANN
section) and a hand-curated table of consumer providers and privacy relays.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Final


def _data_lines(name: str) -> list[str]:
    text = resources.files("listclean.data").joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@functools.cache
def disposable_domains() -> frozenset[str]:
    """The blocklist less any listed mailbox provider: upstream lists have carried real providers
    (21cn.com, sify.com), and a provider we list as real is never judged throw-away."""
    return frozenset(_data_lines("disposable_domains.txt")) - providers().known


@dataclass(frozen=True)
class PublicSuffixes:
    exact: frozenset[str]
    wildcard: frozenset[str]  # "*.ck" stored as "ck"
    exception: frozenset[str]  # "!www.ck" stored as "www.ck"
    tlds: frozenset[str]

    def suffix(self, domain: str) -> str | None:
        """The public suffix of an ASCII domain (PSL algorithm), or None when its TLD is unknown."""
        labels = domain.split(".")
        if labels[-1] not in self.tlds:
            return None
        for start in range(len(labels)):
            candidate = ".".join(labels[start:])
            if candidate in self.exception:
                return ".".join(labels[start + 1 :])
            parent = ".".join(labels[start + 1 :])
            if candidate in self.exact or (parent and parent in self.wildcard):
                return candidate
        return labels[-1]

    def split(self, domain: str) -> tuple[str, str] | None:
        """('yahoo', 'co.jp') for 'mail.yahoo.co.jp'; None when the domain is a bare suffix or unknown TLD."""
        suffix = self.suffix(domain)
        if suffix is None or domain == suffix:
            return None
        head = domain[: -len(suffix) - 1]
        return head.rsplit(".", 1)[-1], suffix


@functools.cache
def public_suffixes() -> PublicSuffixes:
    exact, wildcard, exception = set(), set(), set()
    for rule in _data_lines("public_suffixes.txt"):
        if rule.startswith("!"):
            exception.add(rule[1:])
        elif rule.startswith("*."):
            wildcard.add(rule[2:])
        else:
            exact.add(rule)
    tlds = {rule.rsplit(".", 1)[-1] for rule in exact | wildcard}
    return PublicSuffixes(frozenset(exact), frozenset(wildcard), frozenset(exception), frozenset(tlds))


@dataclass(frozen=True)
class Providers:
    free: frozenset[str]
    relay: frozenset[str]
    popular: tuple[str, ...]  # in file order: earlier = more common, the tie-break for suggestions

    @property
    def known(self) -> frozenset[str]:
        return self.free | self.relay


@functools.cache
def providers() -> Providers:
    free, relay, popular = set(), set(), []
    for line in _data_lines("mail_providers.txt"):
        domain, kind, *flags = line.split("\t")
        (relay if kind == "relay" else free).add(domain)
        if "popular" in flags:
            popular.append(domain)
    return Providers(frozenset(free), frozenset(relay), tuple(popular))


@functools.cache
def known_domains() -> frozenset[str]:
    """Real domains near the big providers (their other country domains, companies a keystroke
    away): known to exist, so never offered a typo correction nor rewritten by --fix-typos."""
    return frozenset(_data_lines("known_domains.txt"))


def in_list(domain: str, listed: frozenset[str]) -> bool:
    """The domain or one of its parents is listed (subdomains of a service belong to it)."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in listed for i in range(len(labels) - 1))


# RFC 2606 / RFC 6761 names reserved for documentation and testing, beyond those email-validator
# already refuses (arpa, invalid, local, localhost, onion, test): nobody receives mail there.
RESERVED_DOMAINS: Final = frozenset({"example.com", "example.net", "example.org", "example", "home.arpa", "internal", "alt"})

# Role mailboxes (the local part without +tag, lower-cased; '.', '-' and '_' ignored), also with a
# country or region after '-' or '_' (info-de, sales_uk, support-emea). Initials are people, not
# roles: h.r@ and i.t@ are someone's initials, hr@ and it@ are the departments.
ROLE_NO_REPLY: Final = frozenset(
    {"noreply", "donotreply", "dontreply", "mailerdaemon", "nobody", "bounce", "bounces", "nomail", "noresponse", "unsubscribe",
     "autoreply", "autoresponder", "automailer"}
)
# A region suffix after '-' or '_': any two letters (a country code) or one of these words.
ROLE_REGION_SUFFIX: Final = (
    r"[-_](?:[a-z]{2}|emea|apac|amer|americas|latam|dach|nordics|nordic|benelux|europe|asia|global|intl|international|"
    r"worldwide|north|south|east|west|central)$"
)
ROLE_STANDARD: Final = frozenset(
    {"postmaster", "hostmaster", "webmaster", "abuse", "security", "noc", "root", "usenet", "news", "uucp", "ftp", "www",
     "listserv", "majordomo", "listrequest", "spam", "devnull", "sysadmin", "administrator", "daemon"}
)
ROLE_GENERIC: Final = frozenset(
    {"info", "sales", "support", "contact", "contacts", "office", "admin", "hello", "hi", "team", "marketing", "billing",
     "accounts", "accounting", "finance", "help", "helpdesk", "enquiries", "enquiry", "inquiries", "inquiry", "jobs",
     "careers", "hr", "recruiting", "recruitment", "press", "media", "pr", "service", "services", "customerservice",
     "newsletter", "feedback", "orders", "order", "shop", "store", "reception", "mail", "email", "general", "team",
     "kontakt", "biuro", "buero", "bureau", "contacto", "contato", "contatto", "verkauf", "vertrieb", "ventes", "ventas",
     "vendas", "zakupy", "sekretariat", "secretariat", "it", "legal", "privacy", "compliance", "events", "partners",
     "purchasing", "procurement", "invoice", "invoices", "rechnung", "faktura", "webinfo", "all", "staff", "everyone",
     # automated senders and list mailboxes
     "notifications", "notification", "notify", "alerts", "alert", "newsletters", "updates", "digest", "announcements",
     "announce", "mailer", "mailings", "automated", "system", "reminders", "reminder"}
)
