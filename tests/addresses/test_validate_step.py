"""The validate step as a library: statuses, reasons, suggestions, and every row kept."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from listclean.email.dns import A_ONLY, FAILED, MX, NO_RECORDS, NULL_MX, NXDOMAIN, DnsChecker
from listclean.email.reasons import REASONS, STATUS_ORDER
from listclean.email.validate import ValidateOptions, validate
from listclean.suppression import SuppressionList


def judged(emails: list[str | None], **columns) -> pl.DataFrame:
    frame = pl.DataFrame({"email": emails, **columns}, schema_overrides={"email": pl.String})
    out, _ = validate(frame, ValidateOptions())
    return out


def verdict(email: str | None, options: ValidateOptions | None = None, **columns) -> tuple[str, list[str], str | None]:
    frame = pl.DataFrame({"email": [email], **{k: [v] for k, v in columns.items()}}, schema_overrides={"email": pl.String})
    out, _ = validate(frame, options or ValidateOptions())
    row = out.row(0, named=True)
    return row["email_status"], row["email_reasons"], row["email_suggestion"]


@pytest.mark.parametrize(
    ("email", "status", "reason"),
    [
        ("anna.nowak@firma.pl", "valid", None),
        ("anna.nowak@gmail.com", "valid", "free_mail"),
        ("x@privaterelay.appleid.com", "valid", "privacy_relay"),
        ("x@mozmail.com", "valid", "privacy_relay"),
        ("info@firma.pl", "valid", "role_generic"),
        ("Sales.Team@firma.pl", "valid", None),
        ("postmaster@firma.pl", "risky", "role_standard"),
        ("abuse@firma.pl", "risky", "role_standard"),
        ("no-reply@firma.pl", "invalid", "role_no_reply"),
        ("noreply+x@firma.pl", "invalid", "role_no_reply"),
        ("MAILER-DAEMON@firma.pl", "invalid", "role_no_reply"),
        ("joe@mailinator.com", "risky", "disposable"),
        ("joe@sub.mailinator.com", "risky", "disposable"),
        ("joe@example.com", "invalid", "reserved_domain"),
        ("joe@shop.example", "invalid", "reserved_domain"),
        ("joe@localhost", "invalid", "domain_without_dot"),
        ("joe@printer.local", "invalid", "reserved_domain"),
        ("joe@firma.notatld", "invalid", "unknown_tld"),
        ("joe@firma.com.", "valid", "repaired_trailing_dot"),
        ("joe@gmаil.com", "invalid", "lookalike_domain"),  # Cyrillic а
        ("jоe@gmail.com", "risky", "mixed_script"),  # Cyrillic о in a Latin name
        ("山田@例え.jp", "valid", None),
        ("yamada@docomo.ne.jp", "valid", "free_mail"),
        ("a@x.com; b@y.com", "risky", "multiple_addresses"),
        ("joe@gmial.com", "risky", "domain_typo"),
        ("joe@gmail.con", "invalid", "unknown_tld"),
        ("joe", "invalid", "no_at_sign"),
        ("joe@", "invalid", "empty_domain"),
        ("joe..x@firma.pl", "invalid", "misplaced_dot"),
        ("joe x@firma.pl", "invalid", "invalid_characters"),
        ('"joe"@firma.pl', "invalid", "quoted_local_part"),
        ("joe@[10.0.0.1]", "invalid", "domain_literal"),
        ("", "invalid", "missing"),
        (None, "invalid", "missing"),
    ],
)
def test_statuses_and_reasons(email, status, reason):
    got_status, reasons, _ = verdict(email)
    assert got_status == status, reasons
    if reason:
        assert reason in reasons
    assert set(reasons) <= set(REASONS), "every reason code is documented"


def test_status_is_the_most_severe_reason():
    status, reasons, _ = verdict("postmaster@mailinator.com", consent_status="unsubscribed")
    assert status == "suppressed"
    assert {"role_standard", "disposable", "unsubscribed"} <= set(reasons)


@pytest.mark.parametrize("consent", ["unsubscribed", "cleaned", "bounced", "complained", "erased"])
def test_suppressing_consent_makes_the_row_suppressed(consent):
    status, reasons, _ = verdict("anna@firma.pl", consent_status=consent)
    assert status == "suppressed" and consent in reasons


def test_pending_consent_is_recorded_but_not_suppressing():
    assert verdict("anna@firma.pl", consent_status="pending")[:2] == ("valid", ["consent_pending"])


def test_typo_is_suggested_by_default_and_fixed_only_when_asked():
    status, reasons, suggestion = verdict("Anna@Gmial.com")
    assert (status, suggestion) == ("risky", "Anna@gmail.com")
    frame = pl.DataFrame({"email": ["Anna@Gmial.com", "joe@gmail.co"]})
    out, report = validate(frame, ValidateOptions(fix_typos=True))
    fixed, unsure = out.rows(named=True)
    assert fixed["email"] == "Anna@Gmial.com", "the typed value is kept"
    assert fixed["email_normalized"] == "Anna@gmail.com"
    assert "typo_fixed" in fixed["email_reasons"] and fixed["email_suggestion"] is None
    assert unsure["email_normalized"] == "joe@gmail.co" and unsure["email_suggestion"] == "joe@gmail.com"
    assert report.typos_fixed == 1


def test_every_row_is_kept_in_order_with_its_other_columns():
    frame = pl.DataFrame({"email": ["b@x.pl", None, "a@x.pl", "b@x.pl"], "note": ["1", "2", "3", "4"], "_source_row": [1, 2, 3, 4]})
    out, report = validate(frame)
    assert out["note"].to_list() == ["1", "2", "3", "4"]
    assert out.columns[-1] == "_source_row"
    assert report.rows == 4 and sum(report.by_status.values()) == 4


def test_validating_twice_gives_the_same_result():
    frame = pl.DataFrame({"email": [" anna@gmial.com ", "info@firma.pl", "x"]})
    once, _ = validate(frame)
    twice, _ = validate(once)
    assert once.equals(twice)


def test_import_keeps_what_was_typed_so_the_repair_is_reported(tmp_path):
    from conftest import load

    path = tmp_path / "in.csv"
    path.write_text("email\n\u200b anna@gmail.com \n", encoding="utf-8")
    imported = load(path).frame
    assert imported["email"].to_list() == ["anna@gmail.com"]
    out, _ = validate(imported)
    assert {"repaired_whitespace", "repaired_invisible"} <= set(out["email_reasons"][0])


def test_report_counts():
    frame = pl.DataFrame({"email": ["a@gmail.com", "b@gmail.com", "c@gmial.com", "x", None]})
    _, report = validate(frame)
    assert report.by_status == {"suppressed": 0, "invalid": 2, "risky": 1, "unknown": 0, "valid": 2}
    assert report.by_reason["free_mail"] == 2
    assert report.top_domains[0] == ("gmail.com", 2)
    assert report.top_typos == [("gmial.com", "gmail.com", 1)]
    assert list(report.by_status) == list(STATUS_ORDER)


# --------------------------------------------------------------------------- suppression


def test_suppression_by_address_and_by_hash():
    listed = SuppressionList()
    listed.add("Blocked@Firma.pl")
    listed.add(hashlib.sha256(b"erased@firma.pl").hexdigest())
    listed.add(hashlib.md5(b"md5@firma.pl").hexdigest())
    frame = pl.DataFrame({"email": ["blocked@firma.pl", " ERASED@firma.pl", "md5@FIRMA.pl", "fine@firma.pl"]})
    out, _ = validate(frame, ValidateOptions(suppression=listed))
    assert out["email_status"].to_list() == ["suppressed", "suppressed", "suppressed", "valid"]
    assert all("suppression_list" in reasons for reasons in out["email_reasons"].to_list()[:3])


def test_a_suppressed_typo_stays_suppressed_when_the_typo_is_fixed():
    listed = SuppressionList()
    listed.add("jan@gmial.com")
    out, _ = validate(pl.DataFrame({"email": ["jan@gmial.com"]}), ValidateOptions(fix_typos=True, suppression=listed))
    assert out["email_normalized"].item() == "jan@gmail.com"
    assert out["email_status"].item() == "suppressed"


def test_suppression_file_formats(tmp_path):
    from listclean.errors import InputError
    from listclean.io.read import Workspace
    from listclean.suppression import load_suppression

    plain = tmp_path / "plain.txt"
    plain.write_text("first@x.pl\nsecond@x.pl\n")
    hashes = tmp_path / "hashes.csv"
    hashes.write_text(hashlib.sha256(b"h@x.pl").hexdigest() + "\n")
    table = tmp_path / "table.csv"
    table.write_text("Name,E-mail\nA,third@x.pl\n")
    with Workspace() as workspace:
        listed = load_suppression([str(plain), str(hashes), str(table)], workspace)
        assert listed.addresses == {"first@x.pl", "second@x.pl", "third@x.pl"}
        assert listed.contains("H@x.pl")
        bad = tmp_path / "bad.csv"
        bad.write_text("email\nok@x.pl\nnot an address\n")
        with pytest.raises(InputError, match=r"bad.csv:3"):
            load_suppression([str(bad)], workspace)


# --------------------------------------------------------------------------- DNS tier (fake resolver, no network)


class FakeResolver:
    def __init__(self, answers: dict[str, str]):
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, domain: str, timeout: float) -> str:
        self.calls.append(domain)
        if domain == "boom.pl":
            raise OSError("network down")
        return self.answers.get(domain, MX)


def test_dns_outcomes_become_reasons(tmp_path):
    resolver = FakeResolver({"nullmx.pl": NULL_MX, "aonly.pl": A_ONLY, "nomail.pl": NO_RECORDS, "gone.pl": NXDOMAIN, "slow.pl": FAILED})
    checker = DnsChecker(resolver=resolver, cache_path=tmp_path / "dns.sqlite")
    emails = ["a@fine.pl", "a@nullmx.pl", "a@aonly.pl", "a@nomail.pl", "a@gone.pl", "a@slow.pl", "a@boom.pl", "a@example.com", "b@fine.pl"]
    out, report = validate(pl.DataFrame({"email": emails}), ValidateOptions(dns=checker))
    got = dict(zip(out["email"], zip(out["email_status"], out["email_reasons"].to_list())))
    assert got["a@fine.pl"] == ("valid", [])
    assert got["a@nullmx.pl"] == ("invalid", ["dns_null_mx"])
    assert got["a@aonly.pl"] == ("valid", ["dns_a_fallback"])
    assert got["a@nomail.pl"] == ("invalid", ["dns_no_mail_server"])
    assert got["a@gone.pl"] == ("invalid", ["dns_no_domain"])
    assert got["a@slow.pl"] == ("unknown", ["dns_unavailable"])
    assert got["a@boom.pl"] == ("unknown", ["dns_unavailable"])
    assert "example.com" not in resolver.calls, "reserved domains are never looked up"
    assert resolver.calls.count("fine.pl") == 1, "one lookup per distinct domain"
    assert report.dns["looked_up"] == 7


def test_dns_cache_is_reused_and_failures_are_not_cached(tmp_path):
    cache = tmp_path / "dns.sqlite"
    first = FakeResolver({"gone.pl": NXDOMAIN, "slow.pl": FAILED})
    DnsChecker(resolver=first, cache_path=cache).check(["fine.pl", "gone.pl", "slow.pl"])
    second = FakeResolver({})
    result = DnsChecker(resolver=second, cache_path=cache).check(["fine.pl", "gone.pl", "slow.pl"])
    assert second.calls == ["slow.pl"]
    assert result == {"fine.pl": None, "gone.pl": "dns_no_domain", "slow.pl": None}


def test_dns_cache_entries_expire(tmp_path):
    cache = tmp_path / "dns.sqlite"
    DnsChecker(resolver=FakeResolver({}), cache_path=cache, now=lambda: 0.0).check(["fine.pl"])
    later = FakeResolver({})
    DnsChecker(resolver=later, cache_path=cache, now=lambda: 8 * 86400.0).check(["fine.pl"])
    assert later.calls == ["fine.pl"]


def test_an_unwritable_dns_cache_only_costs_speed(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    checker = DnsChecker(resolver=FakeResolver({"gone.pl": NXDOMAIN}), cache_path=Path(blocker) / "sub" / "dns.sqlite")
    assert checker.check(["gone.pl"]) == {"gone.pl": "dns_no_domain"}


def test_a_rows_verdict_is_its_addresses_whether_the_list_repeats_addresses_or_not():
    """Distinct addresses get their verdicts put beside the rows (past empty cells) without a join;
    a repeated address sends the list through the join. Both give every row its own verdict."""
    emails = ["ann@example.org", None, "not an address", "Bob@Gmail.com", "  ", "zoë@bücher.example", "x@xn--bcher-kva.example"]
    columns = ["email", "email_status", "email_reasons", "email_normalized", "email_suggestion"]
    distinct = judged(emails).select(columns)
    repeated = judged([*emails, "Bob@Gmail.com", "ann@example.org"]).select(columns)
    assert repeated.head(len(emails)).equals(distinct)
    assert repeated.tail(2).equals(distinct.filter(pl.col("email").is_in(["Bob@Gmail.com", "ann@example.org"])).reverse())
    assert distinct["email_status"][1] == "invalid"
    assert distinct["email_reasons"][1].to_list() == ["missing"]


def test_judge_syntax_lists_distinct_addresses_in_the_order_they_first_occur():
    from listclean.email.syntax import judge_syntax

    addresses = pl.Series(["b@example.org", "zoë@bücher.example", None, "a@example.org", "b@example.org", "\"q\"@example.org", "a@xn--bcher-kva.example"])
    assert judge_syntax(addresses)["address"].to_list() == ["b@example.org", "zoë@bücher.example", "a@example.org", "\"q\"@example.org", "a@xn--bcher-kva.example"]
