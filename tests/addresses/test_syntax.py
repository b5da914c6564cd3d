"""Syntax: listclean's verdict and normalised form are email-validator's, on every address."""

from __future__ import annotations

import polars as pl
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from corpus import DOMAINS, LOCALS, corpus
from listclean.email.syntax import judge_syntax, reason_for


def reference(address: str) -> tuple[bool, str | None, str | None]:
    try:
        return True, validate_email(address, check_deliverability=False).normalized, None
    except EmailNotValidError as error:
        return False, None, reason_for(str(error))


def assert_same_as_email_validator(addresses: list[str]) -> pl.DataFrame:
    judged = judge_syntax(pl.Series(addresses, dtype=pl.String))
    got = {row[0]: row[1:] for row in judged.select("address", "syntax_ok", "normalized", "syntax_reason").iter_rows()}
    mismatches = [(a, got[a], reference(a)) for a in set(addresses) if got[a][:2] != reference(a)[:2]]
    assert not mismatches, mismatches[:10]
    # The reason code is the one email-validator's message maps to (an address without any @
    # is "no_at_sign" whatever the library complains about first).
    wrong_reason = [
        (a, got[a][2], reference(a)[2]) for a in set(addresses)
        if got[a][2] != reference(a)[2] and not (got[a][2] == "no_at_sign" and "@" not in a)
    ]
    assert not wrong_reason, wrong_reason[:10]
    return judged


def test_identical_to_email_validator_on_a_large_generated_corpus():
    judged = assert_same_as_email_validator(corpus(60_000))
    # The corpus is built to be hard: both paths must have had real work to do.
    assert judged["fast"].sum() > 5_000
    assert (~judged["fast"]).sum() > 2_000


def test_identical_on_edge_cases():
    cases = [
        "simple@example.org", "UPPER@GMAIL.COM", "Info@Firma.PL", "POSTMASTER@x.de", "a.b@c.d.e.f.museum",
        "x@localhost", "x@foo.test", "x@a.invalid", "x@printer.local", "x@1.0.0.127.in-addr.arpa", "x@abc.onion",
        "x@[127.0.0.1]", '"quoted"@example.com', '"a b"@example.com', "a..b@x.com", ".a@x.com", "a.@x.com",
        "a@-x.com", "a@x-.com", "a@x..com", "a@x.com.", "a@.x.com", "a@x", "a@x.1", "a@x.c0m", "a@x.co1",
        "a@ab--cd.com", "a@xn--bcher-kva.de", "a@XN--BCHER-KVA.DE", "a@bücher.de", "a@BÜCHER.DE", "jürgen@web.de",
        "a@xn--.com", "a@" + "l" * 63 + ".com", "a@" + "l" * 64 + ".com", "x" * 64 + "@x.com", "x" * 65 + "@x.com",
        "x" * 245 + "@abcd.com", "x" * 246 + "@abcd.com", "a@ｇｍａｉｌ.com", "a@gmail。com", "a b@x.com", "a@x.com ",
        "", "@", "a@", "@x.com", "a@@x.com", "a@b@x.com", "a＠x.com", "Ａ@x.com", "\u200ba@x.com", "a@x.co\u200b",
        "#!$%&'*+-/=?^_`{}|~@example.net", "user+tag@gmail.com", "δοκιμή@παράδειγμα.δοκιμή", "用户@例子.广告",
        "a@xn--fsqu00a.xn--0zwm56d", "e\u0301@x.com", "é@x.com", "a@x.com\n", "a\t@x.com",
    ]
    assert_same_as_email_validator(cases)


@given(st.lists(st.builds(lambda l, d: f"{l}@{d}", st.sampled_from(LOCALS) | st.text(max_size=12), st.sampled_from(DOMAINS) | st.text(max_size=12)), max_size=40))
def test_identical_on_arbitrary_text(addresses):
    assert_same_as_email_validator(addresses)


def test_plain_addresses_never_reach_email_validator():
    judged = judge_syntax(pl.Series(["anna.nowak@gmail.com", "J.Doe+news@Company.co.uk", "info@firma.pl"]))
    assert judged["fast"].all()
    assert judged["normalized"].to_list() == ["anna.nowak@gmail.com", "J.Doe+news@company.co.uk", "info@firma.pl"]


def test_internationalised_dot_atoms_are_judged_without_a_call_per_address():
    """A Unicode mailbox at any domain is judged by the restated local-part rules and one check per
    domain; what those rules cannot restate (not NFC, a combining mark first, a character outside
    email-validator's categories, a quote) still goes to email-validator — with the same answers."""
    simple = ["jürgen@web.de", "иван@пример.рф", "山田@例え.jp", "δοκιμή@παράδειγμα.δοκιμή", "ñandú.x@bücher.de", "straße@x.com",
              "😀@x.com", "ü@x..com", "ü@" + "x" * 250 + ".com"]
    hard = ["e\u0301mile@x.com", "\u0301abc@x.com", "a\u200db@x.com", "a\u3000b@x.com", "\ue000x@x.com", '"ü"@x.com', "ü..x@x.com",
            "mar\u212Aeting@x.com"]  # a Kelvin sign: NFC makes it K, and email-validator then folds "marKeting"
    judged = assert_same_as_email_validator(simple + hard)
    fast = dict(judged.select("address", "fast").iter_rows())
    assert [a for a in simple if not fast[a]] == []
    assert [a for a in hard if fast[a]] == []


def test_email_validator_in_worker_processes_answers_as_in_one(monkeypatch):
    from listclean.email import syntax

    addresses = [f"{local}{i}@{domain}" for i, (local, domain) in enumerate([("jürgen", "müller.de"), ("иван", "пример.рф"), ("a..b", "x.com"), ("山田", "例え.jp")] * 6)]
    monkeypatch.setattr(syntax, "PARALLEL_FROM", 10)
    monkeypatch.setenv("LISTCLEAN_WORKERS", "2")
    assert syntax.slow_path(addresses) == syntax._slow_path_serial(addresses)
    # The Python API judges in-process by default: a user's unguarded script is never re-run by a worker.
    monkeypatch.delenv("LISTCLEAN_WORKERS")
    calls = []
    monkeypatch.setattr(syntax, "_slow_path_serial", lambda values: calls.append(len(values)) or {name: [] for name in syntax.COLUMNS})
    syntax.slow_path(addresses)
    assert calls == [len(addresses)]


@given(st.lists(st.text(st.sampled_from(list("ab@.\n ü")) | st.characters(), max_size=12) | st.none(), max_size=30))
def test_local_and_domain_are_the_text_around_the_last_at_sign(cells):
    from listclean.email.syntax import local_and_domain

    series = pl.Series(cells, dtype=pl.String)
    expected = pl.DataFrame({"a": series}).select(
        pl.col("a").str.extract(r"^(.*)@", 1).alias("local"), pl.col("a").str.extract(r"@([^@]*)$", 1).alias("domain")
    )
    assert local_and_domain(series).to_dicts() == expected.to_dicts()
