"""What each platform's own export means: profiles detected from the header, applied by import.

The generic aliases (columns.py) map any file's headers onto the canonical fields. A platform's
own export says more, and some of its columns mean something other than their name suggests:
HubSpot's `Marketing contact status` is a billing tier, Stripe's `Status` a subscription's
billing state, Klaviyo's `Email Suppressions` outranks its consent column, Mailchimp's
`LAST_CHANGED` is when the record was edited. A profile, detected from the header set (every
`detect` header present, in any case or punctuation), says for one export:

- `fields`: headers mapped to a canonical field, or to none (None: kept as an unknown column,
  never read as consent or activity) — before the generic aliases, after the user's --map;
- `fallback`: fields filled from the first non-empty of several columns, row by row (Outlook's
  Business City, else Home City);
- `signals`: columns that say not to mail someone (a bounce reason, a quarantine flag, a
  suppression list, a "disabled" flag): a row they fire on takes that status unless its own is
  stronger (erased > complained > unsubscribed > bounced > cleaned > pending > subscribed);
- `status_values`: the platform's own words in its status column (listmonk `blocklisted`,
  beehiiv `validating`), read before the generic vocabulary; None is "no consent either way".
- `separator`: a multi-value cell's separator (Google's ` ::: `).

A file no profile matches is read by the generic aliases alone — but a column that a generic,
weak header (`Status`, `Member Status`, `Email Status`, `State`) maps to consent is kept as consent
only when its values are consent values (see consent_values_share): `Active` / `Canceled` /
`past_due` are billing states, never a subscription.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from listclean.schema import CONSENT_STRENGTH
from listclean.text import fold_key

if TYPE_CHECKING:
    import polars as pl



@dataclass(frozen=True)
class Signal:
    """A column that says not to mail someone (or that consent is pending)."""

    header: str
    status: str | None  # the status when it fires on a value no listed word names (None: only the listed words fire)
    when: str = "truthy"  # truthy: a yes/true/1; nonempty: any value; words: by `words`
    words: tuple[tuple[str, str], ...] = ()  # (folded stem found in the value, status), first match wins (when="words")


@dataclass(frozen=True)
class SourceProfile:
    name: str
    label: str
    detect: tuple[str, ...]  # headers that must all be present
    fields: dict[str, str | None] = field(default_factory=dict)  # header -> canonical field (None: none)
    fallback: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> headers, first non-empty wins
    signals: tuple[Signal, ...] = ()
    status_values: dict[str, str | None] = field(default_factory=dict)  # folded status word -> status (None: unknown)
    separator: str | None = None  # multi-value cells (tags, addresses) joined by this
    any_of: tuple[str, ...] = ()  # ... and at least one of these present (when `detect` alone is too common)


_NO = None  # a header that is never a field

PROFILES: tuple[SourceProfile, ...] = (
    SourceProfile(
        "mailchimp", "Mailchimp audience export",
        detect=("Email Address", "OPTIN_TIME"), any_of=("LEID", "EUID", "MEMBER_RATING", "CONFIRM_TIME", "LAST_CHANGED"),
        # UNSUB_TIME / CLEAN_TIME stay columns of their own: the importer reads them row by row
        # (a row that has one is unsubscribed / cleaned, and that is its consent_at).
        fields={"OPTIN_TIME": "optin_at", "CONFIRM_TIME": "confirmed_at", "LAST_CHANGED": _NO, "MEMBER_RATING": _NO, "CC": "country", "TAGS": "tags",
                "UNSUB_TIME": _NO, "CLEAN_TIME": _NO},
    ),
    SourceProfile(
        "klaviyo", "Klaviyo profiles export",
        detect=("Email", "Email Marketing Consent"), any_of=("Email Suppressions", "Klaviyo ID", "Profile ID", "Historic Customer Lifetime Value", "Profile Created On", "Date Added"),
        fields={
            "Email Marketing Consent": "consent_status", "Email Marketing Consent Timestamp": "consent_at",
            "Total Customer Lifetime Value": _NO, "Predicted Customer Lifetime Value": _NO,
            "Historic Customer Lifetime Value": "total_spend", "Historic Number Of Orders": "purchase_count",
            "Profile Created On": "signup_at", "Date Added": "signup_at", "SMS Marketing Consent": _NO,
            "Last Open": "last_open_at", "Last Click": "last_click_at", "Last Active": "last_activity_at",
        },  # fmt: skip
        signals=(
            Signal("Email Suppressions", "unsubscribed", "words", (("spam", "complained"), ("complain", "complained"), ("bounce", "bounced"), ("invalid", "cleaned"))),
        ),
    ),
    SourceProfile(
        "hubspot", "HubSpot contacts export",
        detect=("Record ID",), any_of=("Marketing contact status", "Lifecycle Stage", "Contact owner", "Unsubscribed from all email", "Email hard bounce reason"),
        # A custom "Status" is left to the generic reading: consent only when its values are consent
        # words, and its unsubscribes and bounces are kept either way (see _weak_consent).
        fields={
            "Marketing contact status": _NO, "Lead Status": _NO, "Lifecycle Stage": _NO,
            "Recent Sales Email Clicked Date": _NO, "Recent Sales Email Opened Date": _NO,
            "Last marketing email open date": "last_open_at", "Last marketing email click date": "last_click_at",
            "Create Date": "signup_at", "Last Activity Date": "last_activity_at", "Marketing emails bounced": _NO,
            "Marketing email confirmation status": _NO,
        },  # fmt: skip
        signals=(
            Signal("Email hard bounce reason", "bounced", "nonempty"),
            Signal("Invalid email address", "cleaned"),
            Signal("Email Address Quarantined", "bounced"),
            Signal("Marketing email confirmation status", None, "words", (("pending", "pending"), ("awaiting", "pending"), ("unconfirmed", "pending"))),
        ),
    ),
    SourceProfile(
        "hubspot-suppressions", "HubSpot unsubscribes and bounces export",
        detect=("Email", "Portal Unsubscribe"),
        signals=(
            Signal("Portal Spam Report", "complained"), Signal("Portal Unsubscribe", "unsubscribed"),
            Signal("Portal Bounce", "bounced"), Signal("Global Bounce", "bounced"),
        ),  # fmt: skip
    ),
    SourceProfile(
        "salesforce", "Salesforce contacts or leads export",
        detect=("Email",), any_of=("HasOptedOutOfEmail", "IsEmailBounced", "EmailBouncedReason"),
        fields={"EmailBouncedDate": _NO, "CreatedDate": "signup_at", "LastActivityDate": "last_activity_at", "Birthdate": "birth_date"},
        fallback={"phone": ("MobilePhone", "Phone")},
        signals=(Signal("IsEmailBounced", "bounced"), Signal("EmailBouncedReason", "bounced", "nonempty")),
    ),
    SourceProfile(
        "stripe", "Stripe customers export",
        detect=("Email", "Created (UTC)"), any_of=("Delinquent", "Card ID", "Default Source", "Plan"),
        fields={"Status": _NO, "Plan": _NO, "Created (UTC)": "signup_at", "Total Spend": "total_spend", "Payment Count": "purchase_count", "Description": _NO},
    ),
    SourceProfile(
        "substack", "Substack subscribers export",
        detect=("email", "email_disabled"),
        fields={"created_at": "signup_at", "active_subscription": _NO, "expiry": _NO, "plan": _NO, "first_payment_at": _NO},
        signals=(Signal("email_disabled", "unsubscribed"),),
    ),
    SourceProfile(
        "ghost", "Ghost members export",
        detect=("email", "subscribed_to_emails"),
        fields={"subscribed_to_emails": "consent_status", "created_at": "signup_at", "labels": "tags", "note": _NO, "tiers": _NO, "complimentary_plan": _NO},
    ),
    SourceProfile(
        "listmonk", "listmonk subscribers export",
        detect=("uuid", "email", "status"), any_of=("attribs", "attributes"),
        fields={"status": "consent_status", "created_at": "signup_at", "updated_at": _NO},
        status_values={"enabled": None, "disabled": "unsubscribed", "blocklisted": "unsubscribed"},
    ),
    SourceProfile(
        "beehiiv", "beehiiv subscribers export",
        detect=("email", "status", "subscription_tier"), any_of=("referral_code", "utm_source", "utm_medium", "last_opened_at"),
        fields={"status": "consent_status", "created_at": "signup_at", "last_opened_at": "last_open_at", "last_clicked_at": "last_click_at"},
        status_values={"active": "subscribed", "validating": "pending", "pending": "pending", "inactive": "unsubscribed", "needs_attention": None},
    ),
    SourceProfile(
        "google-contacts", "Google Contacts export",
        detect=("E-mail 1 - Value",),
        fields={"Group Membership": "tags", "Labels": "tags", "E-mail 1 - Value": "email"},
        separator=" ::: ",
    ),
    SourceProfile(
        "outlook", "Outlook contacts export",
        detect=("E-mail Address",), any_of=("Business City", "Home City", "Business Phone", "Home Phone"),
        fallback={
            "city": ("Business City", "Home City", "Other City"), "postal_code": ("Business Postal Code", "Home Postal Code", "Other Postal Code"),
            "country": ("Business Country/Region", "Home Country/Region", "Business Country", "Home Country", "Other Country/Region"),
            "region": ("Business State", "Home State", "Other State"), "phone": ("Mobile Phone", "Business Phone", "Home Phone"),
            "address_line1": ("Business Street", "Home Street", "Other Street"),
        },  # fmt: skip
    ),
    SourceProfile(
        "shopify", "Shopify customers export",
        detect=("Email", "Accepts Email Marketing"),
        fields={"Accepts Email Marketing": "consent_status", "Total Spent": "total_spend", "Total Orders": "purchase_count", "Accepts SMS Marketing": _NO},
        fallback={"phone": ("Phone", "Default Address Phone")},
    ),
    SourceProfile(
        "zoho", "Zoho CRM contacts export",
        detect=("Email",), any_of=("Created Time", "Mailing Zip", "Last Activity Time", "Contact Owner"),
        fields={"Created Time": "signup_at", "Modified Time": _NO, "Last Activity Time": "last_activity_at", "Mailing Zip": "postal_code",
                "Mailing City": "city", "Mailing State": "region", "Mailing Country": "country", "Mailing Street": "address_line1"},
        fallback={"phone": ("Mobile", "Phone")},
    ),  # fmt: skip
    SourceProfile(
        "patreon", "Patreon members export",
        detect=("Email", "Patron Status"),
        fields={"Patron Status": _NO, "Lifetime Amount": "total_spend", "Patronage Since Date": "signup_at", "Last Charge Date": "last_purchase_at",
                "Last Charge Status": _NO, "Pledge Amount": _NO, "Last Updated": _NO},
    ),  # fmt: skip
    SourceProfile(
        "woocommerce", "WooCommerce customers export",
        detect=("Email", "Date registered"),
        fields={"Date registered": "signup_at", "Date last active": "last_activity_at", "Orders": "purchase_count", "Total spend": "total_spend"},
        fallback={"phone": ("Billing phone", "Phone")},
    ),
    SourceProfile(
        "eventbrite", "Eventbrite attendees export",
        detect=("Email", "Order #"),
        fields={"Home State": "region", "Home Zip": "postal_code", "Home Country": "country", "Home City": "city", "Home Address 1": "address_line1",
                "Home Address 2": "address_line2", "Order Date": "last_purchase_at", "Cell Phone": "phone", "Order #": _NO},
    ),  # fmt: skip
    SourceProfile(
        "constant-contact", "Constant Contact contacts export",
        detect=("Email address", "Email permission status"),
        fields={"Email permission status": "consent_status", "Email Lists": "tags", "Email Lists (Membership)": "tags"},
        status_values={"explicit": "subscribed", "implicit": "subscribed", "pending confirmation": "pending", "awaiting confirmation": "pending"},
    ),
)

# Generic headers that name consent only weakly: their column is consent only when its values are.
WEAK_CONSENT_HEADERS = frozenset(fold_key(text) for text in ("status", "member status", "email status", "contact status", "state", "account status"))
# Values that are a billing or lifecycle state, never a subscription (Stripe, HubSpot custom fields, CRMs).
NOT_CONSENT_VALUES = frozenset(
    fold_key(text)
    for text in (
        "active", "inactive", "canceled", "cancelled", "past_due", "past due", "trialing", "unpaid", "paid", "incomplete",
        "incomplete_expired", "ended", "lead", "customer", "prospect", "open", "closed", "won", "lost", "new", "archived",
        "enabled", "disabled", "free", "trial", "expired", "overdue", "delinquent", "qualified", "churned", "member",
    )
)  # fmt: skip
CONSENT_SHARE = 0.8  # a weak column is consent when at least this share of its filled rows hold consent words


def detect(header: list[str]) -> SourceProfile | None:
    """The profile whose headers the file has (the first in PROFILES' order), or None."""
    present = {fold_key(column) for column in header}
    for profile in PROFILES:
        if all(fold_key(name) in present for name in profile.detect) and (not profile.any_of or any(fold_key(name) in present for name in profile.any_of)):
            return profile
    return None


def overrides(profile: SourceProfile, header: list[str], given: dict[str, str | None]) -> dict[str, str | None]:
    """The profile's header -> field decisions as --map entries for this file's spelling of the
    headers (the user's own --map entries win), fallback groups' first column included."""
    by_key = {fold_key(column): column for column in header}
    mapped: dict[str, str | None] = {}
    for name, target in profile.fields.items():
        column = by_key.get(fold_key(name))
        if column is not None and column not in given:
            mapped[column] = target
    for target, names in profile.fallback.items():
        columns = [by_key[fold_key(name)] for name in names if fold_key(name) in by_key]
        if columns and columns[0] not in given and not any(value == target for value in given.values()):
            mapped[columns[0]] = target
            for other in columns[1:]:
                mapped.setdefault(other, None)
    return {**mapped, **given}


def fallback_columns(profile: SourceProfile | None, header: list[str], fields: dict[str, str]) -> dict[str, list[str]]:
    """Per canonical field the profile fills from several columns: the columns in order (the
    field's own first), where the file has more than one of them."""
    if profile is None:
        return {}
    by_key = {fold_key(column): column for column in header}
    groups = {}
    for target, names in profile.fallback.items():
        columns = [by_key[fold_key(name)] for name in names if fold_key(name) in by_key]
        if target in fields and len(columns) > 1 and fields[target] == columns[0]:
            groups[target] = columns
    return groups


def signal_expressions(profile: SourceProfile | None, columns: dict[str, str]) -> list[pl.Expr]:
    """Per signal whose column the file has, the status it gives a row (else null); `columns` maps
    the file's unmapped headers to their names in the frame."""
    import polars as pl

    from listclean.standardize import clean_text, truthy
    from listclean.text import fold_key_expr

    if profile is None:
        return []
    by_key = {fold_key(original): name for original, name in columns.items()}
    found = []
    for signal in profile.signals:
        column = by_key.get(fold_key(signal.header))
        if column is None:
            continue
        text = clean_text(pl.col(column).cast(pl.String))
        if signal.when == "truthy":
            fired = truthy(text).fill_null(False)
            found.append(pl.when(fired).then(pl.lit(signal.status)))
        else:
            filled = text.is_not_null() & ~text.str.strip_chars().is_in(["[]", "{}", "null", "none", "false", "0"])
            folded = fold_key_expr(text)
            status = pl.lit(signal.status, dtype=pl.String)
            for stem, word in reversed(signal.words):
                status = pl.when(folded.str.contains(stem, literal=True)).then(pl.lit(word)).otherwise(status)
            found.append(pl.when(filled.fill_null(False)).then(status))
    return found


def strongest(current: pl.Expr, statuses: list[pl.Expr]) -> pl.Expr:
    """The row's status, or a signal's where that is stronger (schema.CONSENT_STRENGTH)."""
    import polars as pl

    result = current
    for status in statuses:
        rank_new = status.replace_strict(CONSENT_STRENGTH, default=0, return_dtype=pl.Int8)
        rank_old = result.replace_strict(CONSENT_STRENGTH, default=0, return_dtype=pl.Int8)
        result = pl.when(status.is_not_null() & (rank_new > rank_old.fill_null(0))).then(status).otherwise(result)
    return result


def suppressing_values(column: str) -> pl.Expr:
    """A column that is not consent, read only for what stops mailing: a value that is a
    suppressing consent word (unsubscribed, bounced, complained, cleaned, erased — not a billing
    state such as canceled or inactive) gives that status; anything else nothing."""
    import polars as pl

    from listclean.standardize import map_consent
    from listclean.text import fold_key_expr

    text = pl.col(column).cast(pl.String)
    status = map_consent(text)
    billing = fold_key_expr(text).is_in(sorted(NOT_CONSENT_VALUES)).fill_null(False)
    return pl.when(status.is_in(["unsubscribed", "bounced", "complained", "cleaned", "erased"]) & ~billing).then(status)


def consent_values_share(values: pl.Series) -> float:
    """The share of a column's filled rows that hold consent words (not billing or lifecycle states)."""
    import polars as pl

    from listclean.text import fold_key_expr
    from listclean.vocabulary import consent_lookup

    text = values.cast(pl.String).str.strip_chars()
    filled = text.filter(text.is_not_null() & (text.str.len_chars() > 0))
    if filled.len() == 0:
        return 1.0
    folded = filled.to_frame("v").select(fold_key_expr(pl.col("v")))["v"]
    words = set(consent_lookup()) - NOT_CONSENT_VALUES
    return float(folded.is_in(list(words)).mean())
