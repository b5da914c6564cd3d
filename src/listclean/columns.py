"""Map source headers onto the canonical contact schema.

Headers are compared by a folded key (Unicode NFKC, case-folded, accents and
punctuation removed), so "E-Mail-Adresse", "e_mail adresse" and "EMAIL ADRESSE"
are one alias. When several columns claim one field, the alias listed earlier
wins ("Email" before "E-mail 2 Address"), then the column further left; the
others pass through under their own names. ``--map 'Column=field'`` overrides.

A column no alias claims may still be the email column: a column whose values
are mostly addresses is mapped to ``email`` when no header claims it; so is a column
headed like a street address ("Address") whose values are email addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from listclean.errors import UsageError
from listclean.schema import CANONICAL, PROVENANCE, RAW_FIELDS, RAW_SUFFIX
from listclean.text import fold_key

# A pseudo-field: a yes/no column that means "this person opted out"
# (HubSpot "Unsubscribed from all email", Salesforce HasOptedOutOfEmail, Brevo EMAIL_BLACKLISTED).
# A true value makes consent_status "unsubscribed"; the column itself passes through untouched.
OPT_OUT: Final = "_opt_out"

# Most specific first within each field. Every alias is folded with header_key().
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "email": (
        # English and ESP/CRM exports
        "email", "email address", "e-mail", "e-mail address", "emailaddress", "email_address", "mail",
        "e-mail 1 - value", "email 1", "primary email", "work email", "personal email", "email (primary)",
        "subscriber email", "contact email", "email addr", "e mail", "user email", "customer email",
        "e-mail 1", "emails", "email id",
        # German, French, Spanish, Polish, Portuguese, Italian, Dutch
        "e-mail-adresse", "emailadresse", "mailadresse", "adresse e-mail", "adresse email", "adresse mail", "courriel",
        "adresse électronique", "correo electrónico", "correo", "email de contacto", "dirección de correo",
        "dirección de correo electrónico", "adres e-mail", "adres email", "e-mail adres", "poczta e-mail",
        "endereço de e-mail", "endereço de email", "indirizzo email", "indirizzo e-mail", "posta elettronica",
        "e-mailadres",
        # Japanese, Chinese (simplified and traditional), Korean
        "メールアドレス", "メール", "eメール", "eメールアドレス", "電子メール", "電子メールアドレス", "mailアドレス",
        "电子邮件", "電子郵件", "电子邮箱", "電子郵箱", "邮箱", "郵箱", "邮件地址", "郵件地址", "邮箱地址", "電郵", "電子郵件地址",
        "이메일", "이메일 주소", "전자우편", "전자 메일", "메일", "메일 주소",
        # secondary addresses last: used only when nothing better exists
        "e-mail 2 address", "email 2", "e-mail 2 - value", "secondary email", "other email",
    ),
    "first_name": (
        "first name", "firstname", "first_name", "fname", "given name", "givenname", "forename", "first",
        "merge1", "contact first name", "billing first name",
        "vorname", "prénom", "prenom", "nombre", "nombre de pila", "imię", "imie", "primeiro nome", "nome próprio",
        "voornaam",
        "名", "名前(名)", "下の名前", "이름",
    ),
    "last_name": (
        "last name", "lastname", "last_name", "lname", "surname", "family name", "familyname", "last", "merge2",
        "contact last name", "billing last name",
        "nachname", "familienname", "nom", "nom de famille", "apellido", "apellidos", "nazwisko", "sobrenome",
        "último nome", "cognome", "achternaam",
        "姓", "名前(姓)", "苗字", "姓氏", "성",
    ),
    "full_name": (
        "full name", "fullname", "full_name", "name", "contact name", "display name", "contact", "customer name",
        "subscriber name", "nome completo", "nome", "vollständiger name", "nom complet", "nombre completo",
        "imię i nazwisko", "imie i nazwisko", "naam", "volledige naam",
        "氏名", "名前", "お名前", "姓名", "名稱", "名称", "성명", "이름 전체",
    ),
    "birth_date": (
        # English and CRM/ESP exports: HubSpot "Date of birth", Salesforce Birthdate, Mailchimp BIRTHDAY,
        # Google Contacts/Outlook "Birthday", Brevo DATE_OF_BIRTH
        "birth date", "birthdate", "date of birth", "date_of_birth", "dob", "d.o.b.", "birthday", "birth day",
        "born", "born on", "contact birthdate",
        "geburtsdatum", "geburtstag", "geb.-datum", "date de naissance", "né le", "née le", "anniversaire",
        "fecha de nacimiento", "fecha nacimiento", "cumpleaños", "data urodzenia", "urodziny", "data de nascimento",
        "aniversário", "data di nascita", "compleanno", "geboortedatum", "verjaardag",
        "生年月日", "誕生日", "出生日期", "出生年月日", "生日", "생년월일", "생일",
    ),
    "birth_year": (
        "birth year", "year of birth", "yob", "birthyear", "year born",
        "geburtsjahr", "année de naissance", "año de nacimiento", "rok urodzenia", "ano de nascimento",
        "anno di nascita", "geboortejaar",
        "生まれ年", "生年", "出生年份", "出生年", "출생연도", "출생년도", "태어난 해",
    ),
    "phone": (
        "phone", "phone number", "phonenumber", "phone_number", "mobile", "mobile phone", "mobile number", "cell",
        "cell phone", "mobilephone", "sms", "telephone", "tel", "phone 1 - value", "primary phone", "business phone",
        "home phone", "work phone", "default address phone", "billing phone", "whatsapp",
        "telefon", "telefonnummer", "handy", "handynummer", "mobiltelefon", "téléphone", "telephone portable",
        "portable", "numéro de téléphone", "teléfono", "telefono", "móvil", "celular", "numer telefonu", "telefon komórkowy",
        "komórka", "telemóvel", "cellulare", "telefoonnummer", "mobiel",
        "電話番号", "電話", "携帯電話", "携帯番号", "电话", "電話號碼", "电话号码", "手机", "手機", "手机号码", "手機號碼",
        "전화번호", "휴대폰", "휴대전화", "연락처", "핸드폰",
    ),
    "company": (
        "company", "company name", "organization", "organisation", "organization name", "organization 1 - name",
        "account name", "employer", "business name", "default address company", "billing company", "firm",
        "firma", "unternehmen", "unternehmensname", "entreprise", "société", "societe", "empresa", "compañía",
        "nazwa firmy", "organizacja", "azienda", "società", "bedrijf", "bedrijfsnaam",
        "会社名", "会社", "企業名", "勤務先", "公司", "公司名称", "公司名稱", "单位", "회사", "회사명", "소속",
    ),
    "job_title": (
        "job title", "jobtitle", "title", "position", "role", "job", "organization title", "organization 1 - title",
        "designation", "job role",
        "position", "berufsbezeichnung", "funktion", "stelle", "poste", "fonction", "intitulé du poste", "cargo",
        "puesto", "stanowisko", "funkcja", "cargo", "ruolo", "functie",
        "役職", "職種", "肩書き", "职位", "職位", "职务", "職稱", "직책", "직함", "직위",
    ),
    "address_line1": (
        # English and CRM/ESP exports: HubSpot "Street Address", Salesforce MailingStreet, Shopify
        # "Default Address Address1", Klaviyo/SendGrid Address/address_line_1, Google "Address 1 - Street",
        # Outlook "Home Street", Mailchimp ADDRESS (which may hold the whole address)
        "address line 1", "address_line_1", "addressline1", "address 1", "address1", "street address",
        "street address 1", "street 1", "street", "mailing street", "mailingstreet", "billing street",
        "billing address 1", "billing address1", "shipping address 1", "default address address1",
        "address 1 - street", "business street", "home street", "other street", "mailing address", "postal address",
        "home address", "street and number", "address",
        "straße", "strasse", "straße und hausnummer", "strasse und hausnummer", "straße und nr", "straße/nr",
        "anschrift", "adresse 1", "adresszeile 1", "adresse", "adresse ligne 1", "rue", "adresse postale",
        "dirección 1", "dirección", "direccion", "calle", "domicilio", "dirección postal", "ulica", "ulica i numer",
        "adres 1", "adres", "endereço 1", "endereço", "endereco", "morada", "rua", "logradouro", "indirizzo 1",
        "indirizzo", "via", "adresregel 1", "straat", "straatnaam", "straat en huisnummer",
        "住所1", "住所", "番地", "町名・番地", "地址1", "地址", "街道地址", "详细地址", "詳細地址", "주소1", "주소", "도로명 주소",
    ),
    "address_line2": (
        "address line 2", "address_line_2", "addressline2", "address 2", "address2", "street address 2",
        "street 2", "billing address 2", "billing address2", "shipping address 2", "default address address2",
        "address 1 - extended address", "business street 2", "home street 2", "other street 2", "apartment",
        "apartment, suite, etc.", "apt", "apt/suite", "apartment/suite", "suite", "unit", "flat",
        "adresszusatz", "adresszeile 2", "adresse 2", "complément d'adresse", "complement d'adresse",
        "adresse ligne 2", "complément", "dirección 2", "dirección línea 2", "piso", "adres 2", "numer lokalu",
        "nr lokalu", "endereço 2", "complemento", "indirizzo 2", "adresregel 2", "toevoeging",
        "住所2", "建物名", "建物名・部屋番号", "地址2", "주소2", "상세주소", "상세 주소",
    ),
    "country": (
        "country", "country code", "country/region", "countrycode", "country_code", "cc", "mailing country",
        "mailingcountry", "billing country", "default address country code", "address 1 - country", "nation",
        "business country/region", "home country/region", "country name", "ip country",
        "land", "pays", "país", "pais", "kraj", "paese", "国", "国名", "国家", "國家", "国家/地区", "國家/地區", "국가", "나라",
    ),
    "region": (
        "region", "state", "province", "state/region", "state/province", "state_province_region", "mailing state",
        "mailingstate", "county", "default address province code", "province code", "address 1 - region",
        "business state", "prefecture",
        "bundesland", "région", "département", "estado", "provincia", "comunidad autónoma", "województwo",
        "wojewodztwo", "regione", "provincie",
        "都道府県", "県", "省", "省份", "州", "지역", "시도", "도",
    ),
    "city": (
        "city", "town", "mailing city", "mailingcity", "default address city", "address 1 - city", "business city",
        "home city", "locality",
        "stadt", "ort", "wohnort", "ville", "ciudad", "localidad", "municipio", "miasto", "miejscowość", "cidade",
        "città", "plaats", "woonplaats",
        "市区町村", "市町村", "都市", "城市", "市", "도시", "시",
    ),
    "postal_code": (
        "postal code", "postalcode", "postcode", "post code", "zip", "zip code", "zipcode", "zip/postal code",
        "mailing zip/postal code", "mailingpostalcode", "default address zip", "address 1 - postal code",
        "business postal code", "home postal code",
        "plz", "postleitzahl", "code postal", "cp", "código postal", "codigo postal", "kod pocztowy", "cap", "postcode",
        "郵便番号", "邮编", "邮政编码", "郵遞區號", "郵政編碼", "우편번호",
    ),
    "language": (
        "language", "preferred language", "lang", "locale", "language code",
        "sprache", "langue", "idioma", "język", "jezyk", "lingua", "taal", "言語", "语言", "語言", "언어",
    ),
    "source": (
        "source", "lead source", "leadsource", "original source", "acquisition source", "signup source", "channel",
        "utm_source", "list source", "origin", "referrer",
        "quelle", "herkunft", "origine", "fuente", "origen", "źródło", "zrodlo", "fonte", "bron",
        "ソース", "流入元", "获取来源", "来源", "來源", "유입 경로", "출처",
    ),
    "signup_at": (
        "signup date", "signup_at", "sign up date", "signed up", "date added", "created", "created at", "created_at",
        "create date", "createdate", "createddate", "date created", "added", "added_time", "joined", "join date",
        "subscribe date", "subscribed at", "registration date", "registered", "optin_time", "profile created on",
        "first seen", "customer since",
        "anmeldedatum", "registrierungsdatum", "erstellt am", "date d'inscription", "date inscription",
        "date de création", "fecha de alta", "fecha de registro", "fecha de creación", "data rejestracji",
        "data dodania", "data di iscrizione", "data de cadastro", "aanmelddatum",
        "登録日", "登録日時", "作成日", "注册日期", "註冊日期", "注册时间", "創建日期", "创建时间", "가입일", "가입 일자", "등록일",
    ),
    "consent_status": (
        "consent_status", "consent status", "consent", "status", "subscription status", "email status",
        "email marketing consent", "email consent", "marketing consent", "subscriber status", "member status",
        "opt-in", "optin", "opt in", "opted in", "accepts email marketing", "accepts marketing", "subscribed",
        "newsletter", "marketing opt-in", "email opt-in",
        "einwilligung", "newsletter-einwilligung", "zustimmung", "consentement", "consentement marketing",
        "consentimiento", "suscrito", "zgoda", "zgoda marketingowa", "zgoda na marketing", "consenso",
        "配信同意", "メルマガ", "メール配信", "同意", "订阅状态", "訂閱狀態", "订阅", "同意状态", "수신동의", "수신 동의",
        "이메일 수신동의", "마케팅 수신동의",
    ),
    "consent_at": (
        # The date of the current status: a subscriber's consent, a churned contact's unsubscribe or clean.
        "consent date", "consent_at", "consent timestamp", "email marketing consent timestamp", "consent given at", "subscribed date",
        "unsubscribed at", "unsubscribe date", "unsubscribed date", "opt-out date", "optout date", "cleaned at",
        "einwilligungsdatum", "date de consentement", "fecha de consentimiento", "data zgody",
        "同意日", "同意日時", "同意日期", "동의일",
    ),
    "optin_at": ("optin_time", "opt-in time", "opt-in date", "optin date", "opted in at", "signup opt-in date"),
    "confirmed_at": ("confirm_time", "confirmed at", "confirmation date", "double opt-in date", "doi date", "confirmed date"),
    "consent_source": (
        "consent source", "consent_source", "optin_ip", "opt-in source", "consent method", "email marketing consent source",
        "consent_ip", "confirm_ip",
        "einwilligungsquelle", "source du consentement", "origen del consentimiento", "źródło zgody",
    ),
    "last_open_at": (
        "last open", "last open date", "last opened", "last_open_at", "last email open", "last email open date",
        "last open time",
        "letzte öffnung", "dernière ouverture", "última apertura", "ostatnie otwarcie",
        "最終開封日", "最后打开", "最後開啟", "마지막 열람",
    ),
    "last_click_at": (
        "last click", "last click date", "last clicked", "last_click_at", "last email click", "last email click date",
       
        "letzter klick", "dernier clic", "último clic", "ostatnie kliknięcie",
        "最終クリック日", "最后点击", "最後點擊", "마지막 클릭",
    ),
    "last_activity_at": (
        "last activity", "last activity date", "last active", "last_activity_at", "last engagement date",
        "last engagement", "last seen", "last login", "last activity at", "last interaction",
        "letzte aktivität", "dernière activité", "última actividad", "ostatnia aktywność",
        "最終アクティビティ", "最終ログイン", "最后活动", "最後活動", "마지막 활동",
    ),
    "last_purchase_at": (
        "last purchase", "last purchase date", "last order", "last order date", "last_purchase_at", "last ordered",
        "most recent order date", "last transaction",
        "letzter kauf", "letzte bestellung", "dernier achat", "última compra", "ostatni zakup",
        "最終購入日", "最后购买", "最後購買", "마지막 구매",
    ),
    "purchase_count": (
        "purchase count", "purchase_count", "orders", "total orders", "order count", "orders count",
        "number of orders", "historic number of orders", "# of orders", "purchases", "num orders",
        "anzahl bestellungen", "bestellungen", "nombre de commandes", "número de pedidos", "pedidos",
        "liczba zamówień", "購入回数", "注文数", "订单数", "購買次數", "구매 횟수", "주문 수",
    ),
    "total_spend": (
        "total spend", "total_spend", "total spent", "lifetime value", "ltv", "clv",
        "historic customer lifetime value", "revenue", "total revenue", "amount spent", "total sales",
        "umsatz", "gesamtumsatz", "montant total", "chiffre d'affaires", "gasto total", "importe total",
        "łączna wartość zamówień", "wartość zakupów", "購入金額", "累計購入金額", "消费总额", "消費總額", "총 구매액",
    ),
    "currency": ("currency", "currency code", "currency_code", "waluta", "währung", "devise", "moneda", "valuta", "moeda", "通貨", "货币", "貨幣", "통화"),
    "bounce_count": (
        "bounce count", "bounce_count", "bounces", "hard bounces", "number of bounces", "email bounces",
        "bounce-anzahl", "nombre de rebonds", "rebotes", "liczba odbić", "バウンス数", "退信次数", "반송 횟수",
    ),
    "tags": (
        "tags", "tag", "labels", "label", "categories", "category", "groups", "group membership", "lists",
        "list membership", "interests", "segments",
        "schlagwörter", "etiketten", "étiquettes", "etiquetas", "tagi", "etykiety",
        "タグ", "ラベル", "标签", "標籤", "태그", "라벨",
    ),
    OPT_OUT: (
        "unsubscribed from all email", "hasoptedoutofemail", "has opted out of email", "email opt out",
        "emailoptout", "do not email", "donotemail", "do_not_email", "email_blacklisted", "blacklisted",
        "opted out", "optout", "opt-out", "unsubscribed", "unsubscribe", "is unsubscribed", "global unsubscribe",
        "abgemeldet", "désabonné", "desuscrito", "wypisany",
    ),
}

# Fields whose generic headers ("Address") may head a column of email addresses instead.
STREET_FIELDS: Final = ("address_line1", "address_line2")


def header_key(text: str) -> str:
    """Fold a header for comparison: NFKC, lower-case, accents and punctuation removed."""
    return fold_key(text)


def _build_index() -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for field_name, aliases in ALIASES.items():
        for rank, alias in enumerate((field_name, *aliases)):
            key = header_key(alias)
            index.setdefault(key, (field_name, rank))  # first field to claim an alias keeps it
    return index


_INDEX: Final = _build_index()


@dataclass
class ColumnMapping:
    """How one source's columns became canonical fields."""

    fields: dict[str, str] = field(default_factory=dict)  # canonical field -> source column
    opt_out: list[str] = field(default_factory=list)  # yes/no opt-out columns (kept as they are)
    passthrough: list[str] = field(default_factory=list)  # unknown columns, in their order
    renamed: dict[str, str] = field(default_factory=dict)  # passthrough column -> new name (name clash)
    by_content: list[str] = field(default_factory=list)  # fields recognised from the values, not the header
    carried: list[str] = field(default_factory=list)  # <field>_raw and provenance columns of an earlier run
    opt_out_addresses: str | None = None  # an opt-out column ("Do Not Email") that holds the addresses

    def as_dict(self) -> dict[str, object]:
        return {
            "mapped": dict(self.fields),
            "opt_out_columns": list(self.opt_out),
            "unmapped": list(self.passthrough),
            "renamed": dict(self.renamed),
            "detected_by_content": list(self.by_content),
            "carried": list(self.carried),
        }


def parse_overrides(specs: list[str]) -> dict[str, str | None]:
    """'Column=field' pairs; 'Column=' or 'Column=-' keeps a column unmapped."""
    overrides: dict[str, str | None] = {}
    valid = set(CANONICAL)
    for spec in specs:
        column, sep, target = spec.rpartition("=")
        if not sep or not column:
            raise UsageError(f"--map {spec!r}: expected 'Column=field'", hint="e.g. --map 'E-Mail Adresse=email'")
        target = target.strip()
        if target in ("", "-"):
            overrides[column] = None
            continue
        if target not in valid:
            raise UsageError(
                f"--map {spec!r}: {target!r} is not a canonical field",
                hint=f"fields: {', '.join(CANONICAL)}",
            )
        overrides[column] = target
    return overrides


def map_columns(
    header: list[str],
    overrides: dict[str, str | None] | None = None,
    email_like_columns: list[str] | None = None,
    keep_provenance: bool = False,
) -> ColumnMapping:
    """Decide which source column feeds each canonical field.

    ``email_like_columns`` are columns whose values are mostly addresses; the first
    is used as ``email`` when no header claims the field. ``keep_provenance``: the
    input is listclean's own output, whose provenance columns are carried as they are.
    """
    overrides = overrides or {}
    unknown = [column for column in overrides if column not in header]
    if unknown:
        raise UsageError(f"--map names a column the input does not have: {unknown[0]!r}", hint=f"columns: {', '.join(header)}")
    mapping = ColumnMapping()
    claims: dict[str, tuple[int, int, str]] = {}
    carried = {f"{name}{RAW_SUFFIX}" for name in RAW_FIELDS}
    if keep_provenance:
        carried |= set(PROVENANCE)
    for position, column in enumerate(header):
        if column in carried:
            mapping.carried.append(column)
            continue
        if column in overrides:
            target = overrides[column]
            if target is not None:
                claims[target] = (-1, position, column)  # an explicit --map always wins
            continue
        hit = _INDEX.get(header_key(column))
        if hit is None:
            continue
        target, rank = hit
        if target == OPT_OUT:
            mapping.opt_out.append(column)
            continue
        best = claims.get(target)
        if best is None or (rank, position) < best[:2]:
            claims[target] = (rank, position, column)
    if "email" not in claims and email_like_columns:
        column = email_like_columns[0]
        # A column headed "Address" that holds email addresses is the email column, not a street.
        street = {claim[2]: target for target, claim in claims.items() if target in STREET_FIELDS}
        if column in street and column not in overrides:
            del claims[street[column]]
        if column not in overrides and column not in {claim[2] for claim in claims.values()}:
            claims["email"] = (10_000, header.index(column), column)
            mapping.by_content.append("email")
    used = {column: target for target, (_, _, column) in claims.items()}
    # An opt-out column that holds the addresses ("Do Not Email" listing them) is the email column,
    # not a yes/no flag: its contacts are the ones not to mail (the importer marks them unsubscribed).
    mapping.opt_out_addresses = next((column for column in mapping.opt_out if column in used), None)
    mapping.opt_out = [column for column in mapping.opt_out if column not in used]
    mapping.fields = {target: claims[target][2] for target in CANONICAL if target in claims}
    reserved = set(CANONICAL) | set(PROVENANCE) | {f"{name}{RAW_SUFFIX}" for name in CANONICAL}
    for column in header:
        if column in used or column in carried:
            continue
        mapping.passthrough.append(column)
        if column in reserved:
            mapping.renamed[column] = f"{column} (unmapped)"
    return mapping
