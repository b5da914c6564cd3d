"""Export profiles: what each email platform and ad platform imports, from its own documentation.

A profile says, for one platform:

- its **contact file**: which canonical columns go under which of its headers, how values are
  written in its vocabulary (consent words, consent timestamps, tags, phones), and the limits a
  file must stay within (split into numbered parts past them);
- its **consent model**: which of listclean's consent statuses may go into that file at all
  (only `subscribed` unless the user's consent policy lets pending or unknown consent through:
  a platform mails everyone its contact file holds), and the status or timestamp columns it
  reads;
- its **opt-out file** (`export --suppressions`): the file the platform imports to unsubscribe,
  clean or block people, so that an opt-out collected anywhere reaches every platform;
- for ad platforms, the **identifiers** of a customer-match audience, each normalised as the
  platform documents before SHA-256.

Every rule names the documentation page it comes from and when that page was read (`DOCS`).
Limits without a documented figure are listclean's defaults, said so in `limits_note`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import polars as pl

READ_ON = "2026-11-30"  # when the pages below were read (their own "last updated" dates in brackets)
DOCS: dict[str, tuple[str, ...]] = {
    "mailchimp": (
        "https://mailchimp.com/help/format-guidelines-for-your-import-file/ (international characters only after the @; text fields at most 255 bytes)",
        "https://mailchimp.com/help/view-unsubscribed-contacts/ and https://mailchimp.com/help/about-cleaned-contacts (subscribed, unsubscribed, non-subscribed, cleaned)",
        "https://kb.mailchimp.com/lists/growth/format-list-fields (dates: YYYY-MM-DD recommended)",
    ),
    "klaviyo": (
        "https://help.klaviyo.com/hc/en-us/articles/115005078967 (CSV at most 50 MB; first column Email; updated 2024-09-26)",
        "https://help.klaviyo.com/hc/en-us/articles/360043841811 (Email Marketing Consent: subscribed / unsubscribed / never subscribed, blank = never subscribed, which Klaviyo still emails; Email Marketing Consent Timestamp)",
        "https://help.klaviyo.com/hc/en-us/articles/115005253428 (date-times such as 2014-09-30 13:34:08+00:00)",
        "https://help.klaviyo.com/hc/en-us/articles/360046055671 (phones: E.164 recommended; updated 2024-10-01)",
        "https://help.klaviyo.com/hc/en-us/articles/115005073867 (suppressed profiles: upload a CSV with only the Email column)",
        "https://help.klaviyo.com/hc/en-us/articles/115005237648 (list properties; updated 2024-12-24: written as a JSON array)",
    ),
    "sendgrid": (
        "https://www.twilio.com/docs/sendgrid/ui/managing-contacts/formatting-a-csv (reserved fields; headers letters, digits and underscores; comma-separated)",
        "https://www.twilio.com/docs/sendgrid/ui/managing-contacts/create-and-manage-contacts (at most 1,000,000 contacts or 5 GB per upload)",
        "https://docs.sendgrid.com/api-reference/suppressions-global-suppressions (global unsubscribes: a list of addresses)",
    ),
    "brevo": (
        "https://help.brevo.com/hc/en-us/articles/208729849 (files up to 250 MB; EMAIL, FIRSTNAME, LASTNAME, SMS; numbers with + and country code)",
        "https://developers.brevo.com/reference/import-contacts (API imports: 10 MB, about 8 recommended; emailBlacklist blocklists an import)",
    ),
    "hubspot": (
        "https://knowledge.hubspot.com/import-and-export/set-up-your-import-file (1,048,576 rows a file; 512 MB, 20 MB on free tools; updated 2025-10-03)",
        "https://knowledge.hubspot.com/marketing-email/import-an-opt-out-list (an opt-out list: a CSV with an Email column sets Unsubscribed from all email; updated 2024-06-10)",
        "https://knowledge.hubspot.com/contacts/set-contacts-as-marketing (Marketing contact status is billing, not consent)",
    ),
    "google-customer-match": (
        "https://support.google.com/google-ads/answer/7476159 and https://support.google.com/google-ads/answer/7475964 (headers Email, Phone, First Name, Last Name, Country, Zip)",
        "https://support.google.com/google-ads/answer/7474263 (SHA-256 of Email, Phone, First Name, Last Name after trimming and lower-casing; phones E.164; Country and Zip not hashed)",
        "https://developers.google.com/google-ads/api/docs/conversions/enhance-conversions (the same normalisation; gmail.com/googlemail.com: the dots before the @ removed)",
    ),
    "meta-audience": (
        "https://www.facebook.com/business/help/2082575038703844 (identifiers email, phone, fn, ln, zip, ct, st, country, doby …)",
        "https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences (normalisation before SHA-256: email trimmed, lower-case; phone digits with country code, no +; "
        "fn/ln lower-case letters; ct lower-case without spaces or punctuation; st 2-letter code; zip lower-case without spaces; country ISO alpha-2 lower-case)",
    ),
}

# listclean's consent statuses, as the consent policy sees them: "unknown" is no status at all (or
# one nobody understood); the suppressing statuses never reach a contact file (export_rules).
MAILABLE_BY_DEFAULT = ("subscribed",)
POLICY_STATUSES = ("subscribed", "pending", "unknown")


@dataclass(frozen=True)
class ConsentColumns:
    """How a platform's contact file carries consent."""

    import_as: str  # what to choose in the platform's import, in its words (the README's table)
    status_header: str | None = None  # a column of consent words (Klaviyo's Email Marketing Consent)
    subscribed_word: str | None = None  # ... for subscribed contacts
    other_word: str | None = None  # ... for pending or unknown ones a consent policy lets through
    optin_header: str | None = None  # when the person opted in (Mailchimp OPTIN_TIME)
    confirm_header: str | None = None  # when they confirmed (Mailchimp CONFIRM_TIME)
    consent_time_header: str | None = None  # the consent's timestamp (Klaviyo)
    time_format: str = "%Y-%m-%d %H:%M:%S"  # UTC


@dataclass(frozen=True)
class OptOutFile:
    """The file a platform imports to stop mailing people (export --suppressions)."""

    email_header: str
    how: str  # how to import it, in the platform's words
    # Files by status, when the platform imports one status per file: suffix -> statuses ("" the main file).
    split: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Identifier:
    """One column of an ad audience: the canonical field, its header, how it is normalised, hashed or not."""

    field: str
    header: str
    normalise: Callable[[pl.Expr], pl.Expr]
    hashed: bool = True


@dataclass(frozen=True)
class Profile:
    name: str
    columns: dict[str, str]  # canonical column -> platform header, in output order
    email_header: str
    max_rows: int | None
    max_mb: int | None
    limits_note: str
    values: dict[str, Callable[[pl.Expr], pl.Expr]] = field(default_factory=dict)  # canonical column -> value mapping
    note: str = ""
    consent: ConsentColumns | None = None
    opt_out: OptOutFile | None = None
    phone_rule: str | None = None  # "e164": only E.164 numbers; "sms": only E.164 numbers that take texts; None: as is
    ascii_local_part: bool = False  # the platform refuses an address with characters outside ASCII before the @
    identifiers: tuple[Identifier, ...] = ()  # an ad audience: its identifier columns (then `columns` is unused)
    date_format: str = "%Y-%m-%d"  # how the file writes a date

    @property
    def audience(self) -> bool:
        return bool(self.identifiers)


# --- value writers -------------------------------------------------------------------------------


def _joined_tags(expr: pl.Expr) -> pl.Expr:
    return expr.list.join(",")


def _json_array(expr: pl.Expr) -> pl.Expr:
    """A list column as a JSON array of strings (Klaviyo's list properties): ["newsletter","vip"]."""
    import polars as pl

    quoted = pl.concat_str(pl.lit('"'), pl.element().cast(pl.String).str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True), pl.lit('"'))
    inner = expr.list.eval(quoted).list.join(",")
    return pl.when(expr.list.len() > 0).then(pl.concat_str(pl.lit("["), inner, pl.lit("]")))


# --- ad-audience normalisation (each platform's documented rule, then SHA-256) -------------------------


def _trimmed_lower(expr: pl.Expr) -> pl.Expr:
    return _text(expr).str.strip_chars().str.to_lowercase()


def _text(expr: pl.Expr) -> pl.Expr:
    import polars as pl

    return expr.cast(pl.String)


def _google_email(expr: pl.Expr) -> pl.Expr:
    """Trimmed, lower-cased; at gmail.com and googlemail.com the dots before the @ removed."""
    import polars as pl

    address = _text(expr).str.strip_chars().str.to_lowercase()
    local, domain = address.str.extract(r"^(.*)@", 1), address.str.extract(r"@([^@]*)$", 1)
    gmail = domain.is_in(["gmail.com", "googlemail.com"]).fill_null(False)
    return pl.when(gmail).then(pl.concat_str(local.str.replace_all(".", "", literal=True), pl.lit("@"), domain)).otherwise(address)


def _e164_only(expr: pl.Expr) -> pl.Expr:
    """An E.164 number as is (+48600100200); anything else is no number."""
    import polars as pl

    text = _text(expr).str.strip_chars()
    from listclean.phones import E164

    return pl.when(text.str.contains(E164)).then(text)


def _meta_phone(expr: pl.Expr) -> pl.Expr:
    """Meta: the E.164 number's digits, country code first, without the +."""
    return _e164_only(expr).str.strip_prefix("+")


def _name_words(expr: pl.Expr) -> pl.Expr:
    """Google: names trimmed and lower-cased (accents kept, as its template shows)."""
    return _text(expr).str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")


def _meta_name(expr: pl.Expr) -> pl.Expr:
    """Meta: lower-case letters only (no spaces or punctuation); letters beyond a-z kept, as UTF-8."""
    import polars as pl

    cleaned = _text(expr).str.to_lowercase().str.replace_all(r"[^\p{L}]", "")
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def _upper_country(expr: pl.Expr) -> pl.Expr:
    return _text(expr).str.strip_chars().str.to_uppercase()


def _lower_country(expr: pl.Expr) -> pl.Expr:
    return _text(expr).str.strip_chars().str.to_lowercase()


def _postcode_as_written(expr: pl.Expr) -> pl.Expr:
    return _text(expr).str.strip_chars()


def _meta_postcode(expr: pl.Expr) -> pl.Expr:
    """Meta: lower case, no spaces or dashes; a US ZIP+4 cut to its first five digits (the caller
    knows the country: see audience_frame)."""
    return _text(expr).str.to_lowercase().str.replace_all(r"[\s-]", "")


def _meta_city(expr: pl.Expr) -> pl.Expr:
    import polars as pl

    cleaned = _text(expr).str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]", "")
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def _meta_region(expr: pl.Expr) -> pl.Expr:
    """Meta: a 2-letter state code lower-cased; other regions lower-case without spaces or punctuation."""
    return _meta_city(expr)


def _year(expr: pl.Expr) -> pl.Expr:
    import polars as pl

    return expr.cast(pl.Int64, strict=False).cast(pl.String)


# --- the profiles ----------------------------------------------------------------------------------


PROFILES: dict[str, Profile] = {
    "mailchimp": Profile(
        name="mailchimp",
        columns={"email": "Email Address", "first_name": "First Name", "last_name": "Last Name", "phone": "Phone Number",
                 "company": "Company", "city": "City", "country": "Country", "postal_code": "Zip", "tags": "Tags"},
        email_header="Email Address",
        max_rows=None, max_mb=None,
        limits_note="no documented file limit: not split (--max-rows / --max-mb split it)",
        values={"tags": _joined_tags},
        note="One status per import: the contact file is imported as Subscribed (OPTIN_TIME and CONFIRM_TIME say when); "
        "an address with characters outside ASCII before the @ is refused by Mailchimp, so it is listed (reason platform_refuses_address), not written.",
        consent=ConsentColumns(import_as="Subscribed", optin_header="OPTIN_TIME", confirm_header="CONFIRM_TIME"),
        opt_out=OptOutFile(
            email_header="Email Address",
            how="import the file as Unsubscribed, and the -cleaned file as Cleaned (Mailchimp takes one status per import)",
            split={"": ("unsubscribed", "complained", "suppression_list"), "-cleaned": ("bounced", "cleaned")},
        ),
        ascii_local_part=True,
    ),  # fmt: skip
    "klaviyo": Profile(
        name="klaviyo",
        columns={"email": "Email", "first_name": "First Name", "last_name": "Last Name", "phone": "Phone Number",
                 "company": "Organization", "city": "City", "country": "Country", "postal_code": "Zip Code",
                 "tags": "Tags"},
        email_header="Email",
        max_rows=None, max_mb=50,
        limits_note="published: a CSV of at most 50 MB",
        values={"tags": _json_array},
        note="Email Marketing Consent SUBSCRIBED with its timestamp for subscribed contacts; a contact a consent policy lets through without "
        "a subscription gets NEVER_SUBSCRIBED, which Klaviyo still emails. Phones in E.164 only; Tags as a JSON array.",
        consent=ConsentColumns(
            import_as="Email Marketing Consent column (no list-level choice)", status_header="Email Marketing Consent", subscribed_word="SUBSCRIBED",
            other_word="NEVER_SUBSCRIBED", consent_time_header="Email Marketing Consent Timestamp", time_format="%Y-%m-%d %H:%M:%S+00:00",
        ),
        opt_out=OptOutFile(email_header="Email", how="Profiles > Suppressed profiles > Upload file (only the Email column)"),
        phone_rule="e164",
    ),  # fmt: skip
    "sendgrid": Profile(
        name="sendgrid",
        columns={"email": "email", "first_name": "first_name", "last_name": "last_name", "phone": "phone_number",
                 "address_line1": "address_line_1", "address_line2": "address_line_2", "city": "city", "region": "state_province_region", "postal_code": "postal_code", "country": "country"},
        email_header="email",
        max_rows=1_000_000, max_mb=5_000,
        limits_note="published: up to 1,000,000 contacts or 5 GB per CSV upload",
        note="Headers use only letters, digits and underscores; comma-separated only; phone_number in E.164 only.",
        consent=ConsentColumns(import_as="a contact list (SendGrid mails every contact on it)"),
        opt_out=OptOutFile(email_header="email", how="Suppressions > Global Unsubscribes (or an unsubscribe group's suppressions) > add them; the API takes the same addresses as recipient_emails"),
        phone_rule="e164",
    ),  # fmt: skip
    "brevo": Profile(
        name="brevo",
        columns={"email": "EMAIL", "first_name": "FIRSTNAME", "last_name": "LASTNAME", "phone": "SMS"},
        email_header="EMAIL",
        max_rows=None, max_mb=250,
        limits_note="published: files up to 250 MB in the app (its API takes 10 MB: pass --max-mb 8)",
        note="SMS: only mobile numbers in E.164 (a landline cannot take a text; it is left out and counted).",
        consent=ConsentColumns(import_as="a contact list (Brevo mails every contact on it)"),
        opt_out=OptOutFile(email_header="EMAIL", how="import it as blocklisted contacts (the API's import with emailBlacklist: true)"),
        phone_rule="sms",
    ),  # fmt: skip
    "hubspot": Profile(
        name="hubspot",
        columns={"email": "Email", "first_name": "First Name", "last_name": "Last Name", "phone": "Phone Number",
                 "company": "Company Name", "job_title": "Job Title", "address_line1": "Street Address", "city": "City",
                 "region": "State/Region", "postal_code": "Postal Code", "country": "Country/Region"},
        email_header="Email",
        max_rows=1_048_576, max_mb=512,
        limits_note="published: 1,048,576 rows and 512 MB a file (free tools: 20 MB, pass --max-mb 20)",
        note="No consent column: Marketing contact status is HubSpot's billing tier, not an opt-out. Opt-outs go in --suppressions' file, imported as an opt-out list.",
        consent=ConsentColumns(import_as="contacts (HubSpot emails everyone not opted out)"),
        opt_out=OptOutFile(email_header="Email", how="Import > Import an opt-out list (sets Unsubscribed from all email)"),
    ),  # fmt: skip
    "google-customer-match": Profile(
        name="google-customer-match",
        columns={},
        email_header="Email",
        max_rows=None, max_mb=None,
        limits_note="no current documented limit: not split",
        note="Email, Phone, First Name, Last Name hashed (SHA-256 of the trimmed, lower-cased value; phones E.164; Gmail without dots); Country and Zip in clear.",
        identifiers=(
            Identifier("email", "Email", _google_email),
            Identifier("phone", "Phone", _e164_only),
            Identifier("first_name", "First Name", _name_words),
            Identifier("last_name", "Last Name", _name_words),
            Identifier("country", "Country", _upper_country, hashed=False),
            Identifier("postal_code", "Zip", _postcode_as_written, hashed=False),
        ),
    ),
    "meta-audience": Profile(
        name="meta-audience",
        columns={},
        email_header="email",
        max_rows=None, max_mb=None,
        limits_note="no documented file limit: not split",
        note="Every identifier SHA-256 after Meta's normalisation (email trimmed and lower-cased; phone digits with country code, no +; names "
        "lower-case letters; city, state, zip lower-case without spaces; country ISO alpha-2 lower-case; doby the birth year).",
        identifiers=(
            Identifier("email", "email", _trimmed_lower),
            Identifier("phone", "phone", _meta_phone),
            Identifier("first_name", "fn", _meta_name),
            Identifier("last_name", "ln", _meta_name),
            Identifier("city", "ct", _meta_city),
            Identifier("region", "st", _meta_region),
            Identifier("postal_code", "zip", _meta_postcode),
            Identifier("country", "country", _lower_country),
            Identifier("birth_year", "doby", _year),
        ),
    ),
}

PLAIN = "csv"  # export --to csv: listclean's own columns, no profile
# What export --to accepts: listclean's own CSV or a profile. A new profile is one entry above.
EXPORT_TARGETS: tuple[str, ...] = (PLAIN, *PROFILES)
EMAIL_PLATFORMS: tuple[str, ...] = tuple(name for name, profile in PROFILES.items() if not profile.audience)
AUDIENCES: tuple[str, ...] = tuple(name for name, profile in PROFILES.items() if profile.audience)


def parse_consent_policy(text: str | None) -> tuple[str, ...]:
    """--consent-policy: which consent statuses a platform file or audience may hold, 'subscribed'
    plus any of 'pending' and 'unknown', joined by '+' ('subscribed+pending'). Default: subscribed."""
    from listclean.errors import UsageError

    if text is None or not text.strip():
        return MAILABLE_BY_DEFAULT
    parts = tuple(dict.fromkeys(part.strip().lower() for part in text.split("+") if part.strip()))
    unknown = [part for part in parts if part not in POLICY_STATUSES]
    if unknown or "subscribed" not in parts:
        raise UsageError(
            f"--consent-policy {text!r} is not a policy",
            hint="give subscribed, optionally with +pending and/or +unknown (e.g. subscribed+pending): unsubscribed, bounced, complained, cleaned and erased people are never exported",
        )
    return tuple(status for status in POLICY_STATUSES if status in parts)


def empty_columns(frame: pl.DataFrame | pl.LazyFrame, profile: Profile) -> set[str]:
    """The profile's canonical columns the rows leave empty (or lack): left out of the file."""
    import polars as pl

    wanted = [identifier.field for identifier in profile.identifiers] if profile.audience else list(profile.columns)
    if profile.consent is not None:
        wanted += ["consent_at", "optin_at", "confirmed_at"]
    names = frame.collect_schema().names()
    present = [name for name in wanted if name in names]
    counts = frame.lazy().select(pl.len().alias("__rows"), *(pl.col(name).null_count() for name in present)).collect().row(0, named=True)
    rows = counts.pop("__rows")
    return {name for name in wanted if name not in present or (rows > 0 and counts[name] == rows)}


def apply_profile(frame: pl.DataFrame, profile: Profile, empty: set[str] | None = None) -> pl.DataFrame:
    """The platform's columns (those the input fills, see `empty_columns`; email always), its headers and values."""
    import polars as pl

    if profile.audience:
        return audience_frame(frame, profile, empty)
    empty = empty_columns(frame, profile) if empty is None else empty
    exprs = []
    for canonical, header in profile.columns.items():
        if canonical not in frame.columns or (canonical in empty and canonical != "email"):
            if canonical == "email":
                exprs.append(pl.lit(None, dtype=pl.String).alias(header))
            continue
        column = pl.col(canonical)
        mapper = profile.values.get(canonical)
        if mapper is not None:
            column = mapper(column)
        elif canonical == "phone" and profile.phone_rule is not None:
            column = pl.col("__phone_for_platform")  # see platform_phones: the number the platform takes, else empty
        elif frame.schema[canonical] != pl.String:
            column = column.cast(pl.String)
        exprs.append(column.alias(header))
    exprs += _consent_columns(frame, profile, empty)
    return frame.select(exprs)


def _consent_columns(frame: pl.DataFrame, profile: Profile, empty: set[str]) -> list[pl.Expr]:
    """The platform's consent word and consent times, for the rows a consent policy let through."""
    import polars as pl

    consent = profile.consent
    if consent is None:
        return []
    status = pl.col("consent_status").cast(pl.String) if "consent_status" in frame.columns else pl.lit(None, dtype=pl.String)

    def when(name: str) -> pl.Expr | None:
        return pl.col(name).dt.convert_time_zone("UTC").dt.strftime(consent.time_format) if name in frame.columns and name not in empty else None

    exprs = []
    if consent.status_header:
        exprs.append(pl.when(status == "subscribed").then(pl.lit(consent.subscribed_word)).otherwise(pl.lit(consent.other_word)).alias(consent.status_header))
    optin, confirmed, latest = when("optin_at"), when("confirmed_at"), when("consent_at")
    if consent.optin_header and (optin is not None or latest is not None):
        exprs.append(pl.coalesce([e for e in (optin, latest) if e is not None]).alias(consent.optin_header))
    if consent.confirm_header and confirmed is not None:
        exprs.append(confirmed.alias(consent.confirm_header))
    if consent.consent_time_header:
        # The moment of the subscription: confirmed, else the consent's date, else the opt-in.
        moments = [e for e in (confirmed, latest, optin) if e is not None]
        if moments:
            exprs.append(pl.when(status == "subscribed").then(pl.coalesce(moments)).alias(consent.consent_time_header))
    return exprs


def platform_phones(frame: pl.DataFrame, profile: Profile) -> tuple[pl.DataFrame, int]:
    """The frame with `__phone_for_platform`: its phone where the platform's rule takes it (E.164;
    for SMS also a number that takes texts), else empty; and how many phones were left out."""
    import polars as pl

    from listclean.phones import E164, sms_capable

    if profile.phone_rule is None or "phone" not in frame.columns:
        return frame, 0
    number = frame["phone"].cast(pl.String).str.strip_chars()
    e164 = number.str.contains(E164).fill_null(False)
    taken = e164 & sms_capable(number) if profile.phone_rule == "sms" else e164
    left_out = int((number.is_not_null() & (number.str.len_chars() > 0) & ~taken).sum())
    return frame.with_columns(pl.when(taken).then(number).alias("__phone_for_platform")), left_out


def refused_addresses(frame: pl.DataFrame, profile: Profile | None, address: pl.Expr) -> pl.Series | None:
    """Rows whose `address` the platform refuses (Mailchimp: characters outside ASCII before the @), or None."""
    import polars as pl

    if profile is None or not profile.ascii_local_part:
        return None
    local = address.cast(pl.String).str.extract(r"^(.*)@", 1)
    return frame.select(local.str.contains(r"[^\x00-\x7F]").fill_null(False)).to_series()


def audience_frame(frame: pl.DataFrame, profile: Profile, empty: set[str] | None = None) -> pl.DataFrame:
    """An ad platform's audience file: each identifier normalised as the platform documents, hashed
    (SHA-256, hex) where it says so, once per distinct value; identifiers no row fills are left out."""
    import polars as pl

    from listclean.suppression import sha256_of

    empty = empty_columns(frame, profile) if empty is None else empty
    exprs = []
    for identifier in profile.identifiers:
        if identifier.field not in frame.columns or (identifier.field in empty and identifier.field != "email"):
            continue
        value = identifier.normalise(pl.col(identifier.field))
        if identifier.field == "postal_code" and profile.name == "meta-audience" and "country" in frame.columns:
            us = pl.col("country").cast(pl.String).str.to_uppercase() == "US"
            value = pl.when(us.fill_null(False)).then(value.str.slice(0, 5)).otherwise(value)
        value = pl.when(value.str.len_chars() > 0).then(value)
        exprs.append(value.alias(identifier.header))
    normalised = frame.select(exprs)
    hashed = []
    for identifier in profile.identifiers:
        if identifier.header not in normalised.columns:
            continue
        column = normalised[identifier.header]
        if identifier.hashed:
            distinct = column.drop_nulls().unique()
            table = pl.DataFrame({"v": distinct, "h": [sha256_of(value) for value in distinct.to_list()]}, schema={"v": pl.String, "h": pl.String})
            column = column.to_frame("v").join(table, on="v", how="left", maintain_order="left")["h"]
        hashed.append(column.alias(identifier.header))
    return pl.DataFrame(hashed)


def audience_email_forms(profile: Profile, addresses: list[str]) -> set[str]:
    """Each address as the audience's email identifier normalises it before hashing: what the
    read-back check hashes and looks for in a written audience."""
    import polars as pl

    (email,) = [identifier for identifier in profile.identifiers if identifier.field == "email"]
    forms = pl.DataFrame({"a": addresses}, schema={"a": pl.String}).select(email.normalise(pl.col("a")))["a"].drop_nulls()
    return set(forms.to_list())


def hashed_audience(frame: pl.DataFrame) -> pl.DataFrame:
    """One column, email_sha256: hex SHA-256 of each address as validate normalises it — repaired
    (mailto:, display names, invisible characters, full-width @, trailing dots), trimmed, lower-cased —
    the ad platforms' rule applied to the address, not to what was typed.

    Hashed once per distinct address; rows without an address are left out (nothing to match)."""
    import polars as pl

    from listclean.suppression import normalised_address, sha256_of

    typed = pl.col("email").cast(pl.String)
    given = pl.col("email_normalized").cast(pl.String).str.to_lowercase() if "email_normalized" in frame.columns else pl.lit(None, dtype=pl.String)
    addresses = frame.select(pl.coalesce(given, normalised_address(typed)).alias("address")).drop_nulls()
    addresses = addresses.filter(pl.col("address").str.len_bytes() > 0)
    distinct = addresses.unique(maintain_order=True)
    hashed = [sha256_of(value) for value in distinct["address"].to_list()]
    table = distinct.with_columns(pl.Series("email_sha256", hashed, dtype=pl.String))
    return addresses.join(table, on="address", how="left", maintain_order="left").select("email_sha256")


def rows_per_part(sample: pl.DataFrame, total: int, max_rows: int | None, max_mb: int | None) -> int:
    """Rows a file may hold: max_rows, and about max_mb megabytes of CSV judged from the sample's rows."""
    limit = max(1, max_rows or total)
    if max_mb and sample.height:
        # Estimate bytes a row from the CSV of a sample; keep a 10 % margin.
        sample = sample.head(10_000)
        per_row = max(1, len(sample.write_csv().encode("utf-8")) / sample.height)
        limit = min(limit, max(1, int(max_mb * 1_000_000 * 0.9 / per_row)))
    return limit


def part_paths(path: str, count: int) -> list[str]:
    """`out.csv` for one part; `out-001.csv`, `out-002.csv`… for several."""
    if count == 1:
        return [path]
    stem, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:
        stem, suffix = path, ""
    return [f"{stem}-{index:03d}{'.' + suffix if suffix else ''}" for index in range(1, count + 1)]


def suffixed_path(path: str, suffix: str) -> str:
    """`out.csv` with a suffix before its extension: out-cleaned.csv."""
    if not suffix:
        return path
    stem, dot, extension = path.rpartition(".")
    if not dot or "/" in extension:
        return path + suffix
    return f"{stem}{suffix}.{extension}"
