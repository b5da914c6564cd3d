"""Consent and fields read right from the platforms' own exports (issue #18): churn dated by its own
column, the opt-in kept beside it, no record-edit time taken for activity."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from conftest import load

from listclean.importer import ImportOptions, import_sources
from listclean.io.read import Workspace

UTC = timezone.utc


def load_pl(path):
    """Imported as a Polish shop would (national phones read as Polish)."""
    with Workspace() as workspace:
        return import_sources([str(path)], ImportOptions(default_country="PL"), workspace)


def test_mailchimp_churn_is_dated_by_unsub_and_clean_time_and_the_opt_in_is_kept(tmp_path):
    header = '"Email Address","First Name",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,LAST_CHANGED,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_REASON\n'
    path = tmp_path / "unsubscribed_members_export_3f2a.csv"
    path.write_text(header + '"ann@firma.pl","Ann",2,"2022-01-10 09:00:00",,"2022-01-10 09:05:00",,,,"2026-02-01 12:00:00","2025-06-01 08:30:00","Spring sale","too many emails"\n')
    row = load(path).frame.row(0, named=True)
    assert row["consent_status"] == "unsubscribed"
    assert row["consent_at"] == datetime(2025, 6, 1, 8, 30, tzinfo=UTC)  # the unsubscribe, not the opt-in
    assert row["confirmed_at"] == datetime(2022, 1, 10, 9, 5, tzinfo=UTC)
    assert row["last_activity_at"] is None  # LAST_CHANGED is when the record was edited, not activity

    cleaned = tmp_path / "cleaned_members_export_3f2a.csv"
    cleaned.write_text('"Email Address",OPTIN_TIME,CONFIRM_TIME,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE\n"bob@firma.pl","2021-01-01 00:00:00","2021-01-01 00:01:00","2024-02-02 10:00:00","Newsletter"\n')
    row = load(cleaned).frame.row(0, named=True)
    assert (row["consent_status"], row["consent_at"]) == ("cleaned", datetime(2024, 2, 2, 10, tzinfo=UTC))


def test_an_unsubscribe_without_its_time_is_undated_not_dated_at_the_opt_in(tmp_path):
    path = tmp_path / "unsubscribed_members_export_3f2a.csv"
    path.write_text('"Email Address",OPTIN_TIME,CONFIRM_TIME,UNSUB_TIME\n"ann@firma.pl","2022-01-10 09:00:00","2022-01-10 09:05:00",\n')
    row = load(path).frame.row(0, named=True)
    assert (row["consent_status"], row["consent_at"]) == ("unsubscribed", None)


def test_a_subscribers_consent_dates_from_the_confirmed_opt_in(tmp_path):
    path = tmp_path / "subscribed_members_export_3f2a.csv"
    path.write_text('"Email Address",OPTIN_TIME,CONFIRM_TIME\n"ann@firma.pl","2024-03-05 10:12:00","2024-03-05 10:15:00"\n')
    row = load(path).frame.row(0, named=True)
    assert (row["consent_status"], row["consent_at"]) == ("subscribed", datetime(2024, 3, 5, 10, 15, tzinfo=UTC))


def test_a_members_export_that_merely_has_an_unsub_time_column_keeps_its_active_members(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text('"Email Address",OPTIN_TIME,UNSUB_TIME\n"ann@firma.pl","2024-03-05 10:12:00",\n"bob@firma.pl","2023-01-01 00:00:00","2025-05-05 05:05:05"\n')
    frame = load(path).frame
    assert frame["consent_status"].to_list() == [None, "unsubscribed"]
    assert frame["consent_at"][1] == datetime(2025, 5, 5, 5, 5, 5, tzinfo=UTC)


def test_mailchimp_non_subscribed_contacts_have_unknown_consent_not_an_opt_out(tmp_path):
    path = tmp_path / "nonsubscribed_members_export_3f2a.csv"
    path.write_text('"Email Address"\n"ann@firma.pl"\n')
    assert load(path).frame["consent_status"].to_list() == [None]


# --- every platform's export, as its own header writes it --------------------------------------
# Header sets as the platforms export them (their documentation, fixtures and code); the rows are
# made up, each carrying one of the signals that decide who may be mailed.
EXPORTS: dict[str, tuple[str, str]] = {
    "mailchimp": ("subscribed_members_export_9a.csv",
        '"Email Address","First Name","Last Name","Address","Phone Number",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS\n'
        '"ann@firma.pl","Ann","Nowak","","+48 600 100 200",4,"2024-03-05 10:12:00",,"2024-03-05 10:15:00",,,,,,,PL,,"2026-11-01 09:00:00",11,ab12,,"""vip"",""b2b"""\n'),
    "klaviyo": ("profiles.csv",
        "Email,Phone Number,First Name,Last Name,Organization,Title,Address,Address 2,City,State / Region,Country,Zip Code,Source,Email Marketing Consent,"
        "Email Marketing Consent Timestamp,SMS Marketing Consent,Email Suppressions,Historic Customer Lifetime Value,Predicted Customer Lifetime Value,"
        "Total Customer Lifetime Value,Historic Number Of Orders,Last Open,Last Click,Last Active,Profile Created On,Klaviyo ID\n"
        "ann@firma.pl,+48600100200,Ann,Nowak,,,,,Warszawa,,Poland,00-950,Checkout,SUBSCRIBED,2024-03-05T10:12:00+00:00,,,120.50,300.00,420.50,3,2026-11-20,2026-11-21,2026-11-22,2024-03-05,01A\n"
        'bob@firma.pl,,Bob,,,,,,,,,,,SUBSCRIBED,2024-01-01T00:00:00+00:00,,"[""HARD_BOUNCE""]",0,0,0,0,,,,2024-01-01,01B\n'
        "cy@firma.pl,,Cy,,,,,,,,,,,SUBSCRIBED,2024-01-01T00:00:00+00:00,,SPAM_COMPLAINT,0,0,0,0,,,,2024-01-01,01C\n"
        "dee@firma.pl,,Dee,,,,,,,,,,,NEVER_SUBSCRIBED,,,,0,0,0,0,,,,2024-01-01,01D\n"
        "eve@firma.pl,,Eve,,,,,,,,,,,UNSUBSCRIBED,2025-05-05T00:00:00+00:00,,,0,0,0,0,,,,2024-01-01,01E\n"),
    "hubspot": ("hubspot-crm-exports-all-contacts.csv",
        "Record ID,First Name,Last Name,Email,Phone Number,Lifecycle Stage,Lead Status,Marketing contact status,Status,Create Date,Last Activity Date,"
        "Unsubscribed from all email,Email hard bounce reason,Invalid email address,Email Address Quarantined,Marketing emails bounced,"
        "Marketing email confirmation status,Last marketing email open date,Last marketing email click date,Recent Sales Email Clicked Date\n"
        "1,Ann,Nowak,ann@firma.pl,600100200,customer,OPEN,Marketing contact,Active,2024-03-05 10:12,2026-11-01 09:00,false,,false,false,0,Confirmed,2026-11-20 08:00,2026-11-21 08:00,2026-01-01 00:00\n"
        "2,Bob,,bob@firma.pl,,lead,,Marketing contact,Active,2024-01-01 00:00,,false,550 5.1.1 mailbox unavailable,false,false,1,,,,\n"
        "3,Cy,,cy@firma.pl,,lead,,Non-marketing contact,Active,2024-01-01 00:00,,false,,true,false,0,,,,\n"
        "4,Dee,,dee@firma.pl,,lead,,Marketing contact,Inactive,2024-01-01 00:00,,false,,false,true,0,,,,\n"
        "5,Eve,,eve@firma.pl,,lead,,Marketing contact,Active,2024-01-01 00:00,,false,,false,false,0,Pending,,,\n"
        "6,Fay,,fay@firma.pl,,lead,,Marketing contact,Active,2024-01-01 00:00,,true,,false,false,0,,,,\n"),
    "hubspot-suppressions": ("unsubscribes-and-bounces.csv",
        "Email,Portal Bounce,Portal Unsubscribe,Portal Spam Report,Global Bounce\n"
        "a@firma.pl,true,false,false,false\nb@firma.pl,false,true,false,false\nc@firma.pl,false,false,true,false\nd@firma.pl,false,false,false,true\n"),
    "salesforce": ("Contact.csv",
        "Id,FirstName,LastName,Email,Phone,MobilePhone,MailingStreet,MailingCity,MailingState,MailingPostalCode,MailingCountry,Birthdate,"
        "HasOptedOutOfEmail,IsEmailBounced,EmailBouncedReason,EmailBouncedDate,CreatedDate,LastActivityDate\n"
        "003A,Ann,Nowak,ann@firma.pl,,+48600100200,ul. Długa 1,Warszawa,,00-950,Poland,1980-02-03,0,0,,,2024-03-05T10:12:00.000Z,2026-11-01\n"
        "003B,Bob,Smith,bob@firma.pl,+1 212 555 0101,,,,,,,,0,1,550 unknown user,2025-07-07T00:00:00.000Z,2024-01-01T00:00:00.000Z,\n"
        "003C,Cy,Lee,cy@firma.pl,,,,,,,,,1,0,,,2024-01-01T00:00:00.000Z,\n"),
    "stripe": ("unified_customers.csv",
        "id,Description,Email,Name,Created (UTC),Balance,Currency,Delinquent,Default Source,Card ID,Plan,Status,Cancel At Period End,Total Spend,Payment Count,Refunded Volume,Dispute Losses\n"
        "cus_1,,ann@firma.pl,Ann Nowak,2024-03-05 10:12,0,usd,false,card_1,card_1,pro,active,false,120.50,3,0,0\n"
        "cus_2,,bob@firma.pl,Bob Smith,2024-01-01 00:00,0,usd,true,card_2,card_2,pro,past_due,false,10.00,1,0,0\n"
        "cus_3,,cy@firma.pl,Cy Lee,2024-01-01 00:00,0,usd,false,,,basic,canceled,false,0,0,0,0\n"),
    "substack": ("email_list.mypub.csv",
        "email,active_subscription,expiry,plan,email_disabled,created_at,first_payment_at\n"
        "ann@firma.pl,true,,free,false,2024-03-05T10:12:00.000Z,\nbob@firma.pl,false,,free,true,2024-01-01T00:00:00.000Z,\n"),
    "ghost": ("members.csv",
        "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\n"
        "1,ann@firma.pl,Ann Nowak,,true,false,,2024-03-05T10:12:00.000Z,,\"VIP, Beta\",\n2,bob@firma.pl,Bob,,false,false,,2024-01-01T00:00:00.000Z,,,\n"),
    "listmonk": ("subscribers.csv",
        "uuid,email,name,attributes,status,created_at,updated_at\n"
        "5e3f,ann@firma.pl,Ann,{},enabled,2024-03-05 10:12:00.482913 +0000 UTC,2026-01-01 00:00:00.1 +0000 UTC\n"
        "6a1b,bob@firma.pl,Bob,{},blocklisted,2024-01-01 00:00:00.5 +0000 UTC,2026-01-01 00:00:00.1 +0000 UTC\n"
        "7c2d,cy@firma.pl,Cy,{},disabled,2024-01-01 00:00:00.5 +0000 UTC,2026-01-01 00:00:00.1 +0000 UTC\n"),
    "beehiiv": ("subscribers_export.csv",
        "email,status,created_at,subscription_tier,utm_source,utm_medium,referral_code,last_opened_at,last_clicked_at\n"
        "ann@firma.pl,active,2024-03-05 10:12:00,free,twitter,social,ABC,2026-11-20 08:00:00,2026-11-21 08:00:00\n"
        "bob@firma.pl,validating,2026-11-29 00:00:00,free,,,DEF,,\ncy@firma.pl,inactive,2024-01-01 00:00:00,free,,,GHI,,\n"),
    "google-contacts": ("contacts.csv",
        "First Name,Middle Name,Last Name,Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value\n"
        "Ann,,Nowak,* myContacts ::: Friends ::: VIP,* Home,ann@firma.pl ::: ann.work@biuro.pl,Mobile,+48 600 100 200\n"),
    "outlook": ("outlook.csv",
        "First Name,Last Name,E-mail Address,Business Phone,Home Phone,Mobile Phone,Business City,Home City,Business Postal Code,Home Postal Code,"
        "Business Country/Region,Home Country/Region,Company\n"
        "Ann,Nowak,ann@firma.pl,,,+48 600 100 200,,Kraków,,31-001,,Poland,\nBob,Smith,bob@firma.pl,+1 212 555 0101,,,New York,Boston,10001,02101,United States,United States,Acme\n"),
    "shopify": ("customers_export.csv",
        "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,"
        "Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,"
        "Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags\n"
        "1,Ann,Nowak,ann@firma.pl,yes,,ul. Długa 1,,Warszawa,,PL,00-950,+48 600 100 200,,no,120.50,3,,no,\"vip, b2b\"\n"
        "2,Bob,Smith,bob@firma.pl,no,,,,,,US,,,+1 212 555 0101,no,0.00,0,,no,\n"),
    "zoho": ("Contacts_001.csv",
        "Record Id,First Name,Last Name,Email,Phone,Mobile,Mailing Street,Mailing City,Mailing State,Mailing Zip,Mailing Country,Created Time,Modified Time,Last Activity Time,Email Opt Out\n"
        "zcrm_1,Ann,Nowak,ann@firma.pl,,+48 600 100 200,ul. Długa 1,Warszawa,,00-950,Poland,2024-03-05 10:12:00,2026-11-01 00:00:00,2026-11-02 00:00:00,false\n"
        "zcrm_2,Bob,Smith,bob@firma.pl,+1 212 555 0101,,,,,,,2024-01-01 00:00:00,2026-11-01 00:00:00,,true\n"),
    "patreon": ("members.csv",
        "Name,Email,Twitter,Discord,Patron Status,Follows You,Lifetime Amount,Pledge Amount,Charge Frequency,Tier,Addressee,Street,City,State,Zip,Country,Phone,"
        "Patronage Since Date,Last Charge Date,Last Charge Status,Additional Details,User ID,Last Updated\n"
        "Ann Nowak,ann@firma.pl,,,Active patron,Yes,120.50,5.00,monthly,Gold,,,,,,,,2024-03-05 10:12:00,2026-11-01 00:00:00,Paid,,123,2026-11-01 00:00:00\n"
        "Bob Smith,bob@firma.pl,,,Former patron,No,10.00,0,monthly,,,,,,,,,2024-01-01 00:00:00,2024-02-01 00:00:00,Declined,,124,2024-02-01 00:00:00\n"),
    "woocommerce": ("customers.csv",
        "Username,Email,Date registered,Date last active,Orders,Total spend,AOV,Country / Region,City,Region,Postal code\n"
        "ann,ann@firma.pl,2024-03-05 10:12:00,2026-11-01 00:00:00,3,120.50,40.17,PL,Warszawa,,00-950\n"),
    "eventbrite": ("report.csv",
        "Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Home Address 1,Home Address 2,Home City,Home State,Home Zip,Home Country,Cell Phone\n"
        "123,2026-11-01 10:00:00,Ann,Nowak,ann@firma.pl,1,General,1,ul. Długa 1,,Warszawa,Mazowieckie,00-950,PL,+48 600 100 200\n"),
    "constant-contact": ("contacts_export.csv",
        "Email address,First name,Last name,Email permission status,Email Lists,Created At\n"
        "ann@firma.pl,Ann,Nowak,Explicit,\"Newsletter, VIP\",2024-03-05\nbob@firma.pl,Bob,Smith,Unsubscribed,Newsletter,2024-01-01\n"),
}  # fmt: skip
SHOWN = ("email", "consent_status", "consent_at", "optin_at", "confirmed_at", "signup_at", "last_open_at", "last_click_at", "last_activity_at",
         "last_purchase_at", "total_spend", "purchase_count", "phone", "city", "postal_code", "country", "region", "tags")  # fmt: skip


@pytest.mark.parametrize("platform", list(EXPORTS))
def test_each_platforms_export_is_recognised_and_read_as_it_means(tmp_path, platform):
    import json
    import os
    from pathlib import Path

    name, text = EXPORTS[platform]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = load_pl(path)
    (source,) = result.sources
    frame = result.frame.select([column for column in SHOWN if column in result.frame.columns])
    seen = {"profile": source.profile, "rows": json.loads(frame.write_json())}
    golden = Path(__file__).parent / "golden" / "platform_exports" / f"{platform}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(seen, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert seen == json.loads(golden.read_text(encoding="utf-8"))
    assert source.profile == platform


def statuses(platform: str, tmp_path) -> dict[str, str | None]:
    name, text = EXPORTS[platform]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return dict(load_pl(path).frame.select("email", "consent_status").iter_rows())


def test_a_suppression_outranks_the_consent_column_and_never_subscribed_is_not_an_opt_out(tmp_path):
    assert statuses("klaviyo", tmp_path) == {
        "ann@firma.pl": "subscribed", "bob@firma.pl": "bounced", "cy@firma.pl": "complained", "dee@firma.pl": None, "eve@firma.pl": "unsubscribed",
    }  # fmt: skip


def test_billing_and_lifecycle_states_are_never_consent(tmp_path):
    hubspot = statuses("hubspot", tmp_path)
    assert hubspot["ann@firma.pl"] is None  # "Marketing contact" and a custom Status "Active" are not a subscription
    assert (hubspot["bob@firma.pl"], hubspot["cy@firma.pl"], hubspot["dee@firma.pl"]) == ("bounced", "cleaned", "bounced")
    assert (hubspot["eve@firma.pl"], hubspot["fay@firma.pl"]) == ("pending", "unsubscribed")
    assert set(statuses("stripe", tmp_path).values()) == {None}
    assert set(statuses("patreon", tmp_path).values()) == {None}
    # A generic file: a Status column of billing words is kept as it is, with a notice.
    path = tmp_path / "crm.csv"
    path.write_text("email,Status\nann@firma.pl,Active\nbob@firma.pl,Canceled\n")
    result = load(path)
    assert result.frame["consent_status"].to_list() == [None, None] and result.frame["Status"].to_list() == ["Active", "Canceled"]
    assert any("'Status' is not read as consent" in notice for notice in result.sources[0].notices)
    path.write_text("email,Status\nann@firma.pl,subscribed\nbob@firma.pl,unsubscribed\n")
    assert load(path).frame["consent_status"].to_list() == ["subscribed", "unsubscribed"]


def test_do_not_mail_signals_of_every_platform(tmp_path):
    assert statuses("hubspot-suppressions", tmp_path) == {"a@firma.pl": "bounced", "b@firma.pl": "unsubscribed", "c@firma.pl": "complained", "d@firma.pl": "bounced"}
    assert statuses("salesforce", tmp_path) == {"ann@firma.pl": None, "bob@firma.pl": "bounced", "cy@firma.pl": "unsubscribed"}
    assert statuses("substack", tmp_path) == {"ann@firma.pl": None, "bob@firma.pl": "unsubscribed"}
    assert statuses("ghost", tmp_path) == {"ann@firma.pl": "subscribed", "bob@firma.pl": "unsubscribed"}
    assert statuses("listmonk", tmp_path) == {"ann@firma.pl": None, "bob@firma.pl": "unsubscribed", "cy@firma.pl": "unsubscribed"}
    assert statuses("beehiiv", tmp_path) == {"ann@firma.pl": "subscribed", "bob@firma.pl": "pending", "cy@firma.pl": "unsubscribed"}


def test_fields_mean_what_the_platform_means(tmp_path):
    def first(platform: str) -> dict:
        name, text = EXPORTS[platform]
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return load_pl(path).frame.row(0, named=True)

    assert first("klaviyo")["total_spend"] == 120.5  # historic value, not historic + predicted
    hubspot = first("hubspot")
    assert hubspot["last_click_at"] == datetime(2026, 11, 21, 8, tzinfo=UTC) and hubspot["last_open_at"] == datetime(2026, 11, 20, 8, tzinfo=UTC)
    google = first("google-contacts")
    assert google["email"] == "ann@firma.pl" and google["tags"] == ["Friends", "VIP"]
    outlook = first("outlook")  # Business columns empty: the Home ones, row by row
    assert (outlook["city"], outlook["postal_code"], outlook["country"], outlook["phone"]) == ("Kraków", "31-001", "PL", "+48600100200")
    assert first("listmonk")["signup_at"] == datetime(2024, 3, 5, 10, 12, tzinfo=UTC)  # Go's "… +0000 UTC" (to the second)
    assert first("shopify")["phone"] == "+48600100200"  # Default Address Phone where Phone is empty
    stripe = first("stripe")
    assert (stripe["signup_at"], stripe["purchase_count"]) == (datetime(2024, 3, 5, 10, 12, tzinfo=UTC), 3)


def test_a_bare_international_number_from_a_spreadsheet_gets_its_plus(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("email,phone\nann@firma.pl,447911123456\nbob@firma.pl,600100200\n")
    assert load_pl(path).frame["phone"].to_list() == ["+447911123456", "+48600100200"]
