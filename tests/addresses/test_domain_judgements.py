"""Validate's domain and mailbox judgements (issue #20): lists, roles, mailto: decoding,
display-name errors, typo suggestions near real domains, and look-alike domains."""

from __future__ import annotations

import polars as pl
import pytest

from listclean.email.validate import validate


def judged(*cells: str) -> dict[str, tuple[str, list[str], str | None]]:
    out, _ = validate(pl.DataFrame({"email": list(cells)}))
    return {cell: (status, reasons, suggestion) for cell, status, reasons, suggestion in
            out.select("email", "email_status", "email_reasons", "email_suggestion").iter_rows()}


# --------------------------------------------------------------------------- lists


@pytest.mark.parametrize("domain", ["21cn.com", "sify.com"])
def test_real_providers_are_not_disposable(domain):
    status, reasons, _ = judged(f"anna@{domain}")[f"anna@{domain}"]
    assert "disposable" not in reasons and "free_mail" in reasons and status == "valid"


@pytest.mark.parametrize("domain", ["cool.fr.nf", "temp-mail.io"])
def test_missed_disposable_services_are_flagged(domain):
    assert "disposable" in judged(f"anna@{domain}")[f"anna@{domain}"][1]


@pytest.mark.parametrize("domain", ["hey.com", "runbox.com", "disroot.org", "riseup.net", "startmail.com", "mailfence.com"])
def test_more_free_mail_providers(domain):
    assert judged(f"anna@{domain}")[f"anna@{domain}"][1] == ["free_mail"]


def test_no_listed_provider_is_disposable():
    from listclean.email.lists import disposable_domains, providers

    assert not providers().known & disposable_domains()


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("local", ["h.r", "i.t", "p.r", "H.R", "j-p"])
def test_initials_are_people_not_roles(local):
    assert not any(code.startswith("role_") for code in judged(f"{local}@acme.com")[f"{local}@acme.com"][1])


@pytest.mark.parametrize(
    ("local", "code"),
    [("hr", "role_generic"), ("info-de", "role_generic"), ("sales-uk", "role_generic"), ("support_emea", "role_generic"),
     ("info_fr", "role_generic"), ("notifications", "role_generic"), ("notification", "role_generic"),
     ("alerts", "role_generic"), ("newsletter", "role_generic"), ("postmaster-de", "role_standard"),
     ("no-reply-uk", "role_no_reply"), ("no.reply", "role_no_reply")],
)
def test_roles_with_a_region_suffix_and_automated_senders(local, code):
    assert code in judged(f"{local}@acme.com")[f"{local}@acme.com"][1]


@pytest.mark.parametrize("local", ["anna-maria", "jean_luc", "info.de.smith", "salesman", "anna"])
def test_people_stay_people(local):
    assert not any(code.startswith("role_") for code in judged(f"{local}@acme.com")[f"{local}@acme.com"][1])


# --------------------------------------------------------------------------- the cell


def test_mailto_uris_are_percent_decoded():
    got = judged("mailto:%20anna@gmail.com", "mailto:anna%40gmail.com", "MAILTO:%C3%A9va@web.de?subject=a%3Fb", "anna%20x@gmail.com")
    out, _ = validate(pl.DataFrame({"email": list(got)}))
    normalized = dict(out.select("email", "email_normalized").iter_rows())
    assert normalized["mailto:%20anna@gmail.com"] == "anna@gmail.com"
    assert normalized["mailto:anna%40gmail.com"] == "anna@gmail.com"
    assert normalized["MAILTO:%C3%A9va@web.de?subject=a%3Fb"] == "éva@web.de"
    assert got["mailto:%20anna@gmail.com"][0] == "valid"
    # Outside a mailto: URI a % is the address's own character (legal in a local part).
    assert normalized["anna%20x@gmail.com"] == "anna%20x@gmail.com"


@pytest.mark.parametrize("cell", ["Anna <anna@x.com", "<anna@x.com", "Anna Nowak <anna@x.com> x"])
def test_broken_display_names_are_not_domain_literals(cell):
    status, reasons, _ = judged(cell)[cell]
    assert status == "invalid" and reasons == ["invalid_characters"]


def test_a_bracketed_ip_is_still_a_domain_literal():
    assert judged("a@[1.2.3.4]")["a@[1.2.3.4]"][1] == ["domain_literal"]
