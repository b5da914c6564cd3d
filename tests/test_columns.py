"""Header mapping: platform exports and the languages our users write in."""

from __future__ import annotations

import pytest

from listclean.columns import header_key, map_columns, parse_overrides
from listclean.errors import UsageError


@pytest.mark.parametrize(
    "header, field",
    [
        ("Email Address", "email"),  # Mailchimp
        ("EMAIL", "email"),  # Brevo
        ("E-mail 1 - Value", "email"),  # Google Contacts
        ("E-mail Address", "email"),  # Outlook
        ("email_address", "email"),
        ("メールアドレス", "email"),
        ("電子郵件", "email"),
        ("电子邮件", "email"),
        ("이메일", "email"),
        ("Adres e-mail", "email"),
        ("E-Mail-Adresse", "email"),
        ("Adresse e-mail", "email"),
        ("Correo electrónico", "email"),
        ("FIRSTNAME", "first_name"),
        ("Prénom", "first_name"),
        ("Imię", "first_name"),
        ("Vorname", "first_name"),
        ("Nachname", "last_name"),
        ("Nazwisko", "last_name"),
        ("姓", "last_name"),
        ("Given Name", "first_name"),
        ("Country/Region", "country"),  # HubSpot
        ("MailingCountry", "country"),  # Salesforce
        ("Default Address Country Code", "country"),  # Shopify
        ("Kraj", "country"),
        ("Zip", "postal_code"),
        ("Kod pocztowy", "postal_code"),
        ("郵便番号", "postal_code"),
        ("Email Marketing Consent", "consent_status"),  # Klaviyo
        ("Accepts Email Marketing", "consent_status"),  # Shopify
        ("Zgoda marketingowa", "consent_status"),
        ("Total Spent", "total_spend"),
        ("Company Name", "company"),
        ("Account Name", "company"),
        ("Job Title", "job_title"),
        ("Create Date", "signup_at"),
        ("Labels", "tags"),
    ],
)
def test_header_aliases_map_to_canonical_fields(header, field):
    mapping = map_columns([header, "Other"])
    assert mapping.fields.get(field) == header
    assert mapping.passthrough == ["Other"]


def test_header_key_ignores_case_accents_and_punctuation():
    assert header_key("E-Mail  Adresse") == header_key("e_mail_adresse") == header_key("EMAILADRESSE")
    assert header_key("Prénom") == header_key("PRENOM")


def test_the_more_specific_alias_wins_and_the_other_passes_through():
    mapping = map_columns(["E-mail 2 Address", "E-mail Address", "Phone"])
    assert mapping.fields["email"] == "E-mail Address"
    assert "E-mail 2 Address" in mapping.passthrough


def test_opt_out_flag_columns_are_recognised_and_kept():
    mapping = map_columns(["Email", "Unsubscribed from all email", "HasOptedOutOfEmail"])
    assert mapping.opt_out == ["Unsubscribed from all email", "HasOptedOutOfEmail"]
    assert mapping.passthrough == ["Unsubscribed from all email", "HasOptedOutOfEmail"]


def test_map_override_wins_and_can_unmap():
    overrides = parse_overrides(["Contact=email", "Name="])
    mapping = map_columns(["Contact", "Email", "Name"], overrides)
    assert mapping.fields["email"] == "Contact"
    assert "full_name" not in mapping.fields
    assert mapping.passthrough == ["Email", "Name"]
    assert mapping.renamed == {}  # "Email" does not clash with the canonical "email"


def test_bad_overrides_are_usage_errors():
    with pytest.raises(UsageError, match="not a canonical field"):
        parse_overrides(["Contact=e-mail"])
    with pytest.raises(UsageError, match="expected 'Column=field'"):
        parse_overrides(["Contact"])
    with pytest.raises(UsageError, match="does not have"):
        map_columns(["Email"], parse_overrides(["Mail=email"]))


def test_unmapped_column_named_like_a_canonical_field_is_renamed():
    mapping = map_columns(["Email Address", "email"], parse_overrides(["email="]))
    assert mapping.fields["email"] == "Email Address"
    assert mapping.renamed == {"email": "email (unmapped)"}


def test_email_column_found_by_content_when_no_header_claims_it():
    mapping = map_columns(["Kontakt", "Wert"], email_like_columns=["Kontakt"])
    assert mapping.fields["email"] == "Kontakt"
    assert mapping.by_content == ["email"]
