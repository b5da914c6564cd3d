"""Look-up tables that turn what people type into canonical values.

Keys are folded with ``text.fold_key`` so case, accents, spaces and punctuation do
not matter ("Opted-In", "opted in" and "OPTED_IN" are one key).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from listclean.text import fold_key

CONSENT_WORDS: dict[str, tuple[str, ...]] = {
    "subscribed": (
        "subscribed", "subscribe", "subscriber", "active", "opted in", "opt in", "optin", "opt-in", "yes", "y", "true",
        "t", "1", "confirmed", "double opt-in", "double optin", "single opt-in", "granted", "given", "express",
        "express consent", "implied", "implied consent", "marketing contact", "member", "x", "on", "accepted",
        "ja", "oui", "si", "sí", "tak", "sim", "sì", "angemeldet", "abonniert", "abonné", "suscrito", "zapisany",
        "はい", "同意", "同意する", "同意済み", "購読", "購読中", "配信", "配信希望", "希望する", "是", "已订阅", "已訂閱", "订阅", "訂閱", "已同意",
        "예", "네", "동의", "수신", "수신동의", "구독",
    ),
    "unsubscribed": (
        "unsubscribed", "unsubscribe", "opted out", "opt out", "optout", "opt-out", "no", "n", "false", "f", "0",
        "not subscribed", "inactive",
        "declined", "withdrawn", "revoked", "denied", "refused",
        "suppressed", "off", "do not email", "nein", "abgemeldet", "non", "désabonné", "desabonne", "no suscrito",
        "desuscrito", "nie", "wypisany", "não", "nao",
        "いいえ", "拒否", "配信停止", "購読解除", "解除", "希望しない", "否", "不同意", "取消订阅", "退订", "退訂", "未订阅",
        "아니오", "아니요", "거부", "수신거부", "미동의", "구독취소",
    ),
    "pending": (
        "pending", "unconfirmed", "awaiting confirmation", "pending confirmation", "double opt-in pending",
        "waiting", "ausstehend", "en attente", "pendiente", "oczekujący", "oczekujacy", "未確認", "確認待ち",
        "待确认", "待確認", "대기", "확인 대기",
    ),
    "cleaned": ("cleaned", "clean", "invalid email", "invalid", "bereinigt", "nettoyé", "limpiado"),
    "bounced": (
        "bounced", "bounce", "hard bounce", "hard bounced", "hardbounce", "undeliverable", "bounced hard",
        "zurückgewiesen", "rebond", "rebotado", "odbity", "バウンス", "退信", "반송",
    ),
    "complained": (
        "complained", "complaint", "spam", "spam report", "spam complaint", "marked as spam", "abuse",
        "beschwerde", "plainte", "queja", "skarga", "苦情", "投诉", "投訴", "스팸 신고",
    ),
    "erased": ("erased", "deleted", "gdpr deleted", "forgotten", "right to be forgotten", "erasure", "gelöscht", "supprimé", "borrado", "usunięty"),
}

# Statuses that say consent was never given either way — not an opt-out: Klaviyo's NEVER_SUBSCRIBED
# (which Klaviyo still emails), Mailchimp's non-subscribed/transactional contacts. Such a value is
# unknown consent (null, its text kept in consent_status_raw): never mailed by default, never suppressed.
NO_CONSENT_WORDS: tuple[str, ...] = (
    "never subscribed", "never_subscribed", "non-subscribed", "nonsubscribed", "non subscribed", "transactional",
    "non-marketing contact", "no consent given", "not yet subscribed",
)  # fmt: skip

# Wording no table can list in full ("Unsubscribed (2024-05-01)", "unsubscribed by admin", "consent
# withdrawn", "GDPR erased", "do not contact"): a value the table does not know is searched for these
# stems (folded like the table's keys, so case, accents, spaces and punctuation do not matter), the
# strongest status found first. Negative wording in English, German, French, Spanish, Italian,
# Portuguese, Dutch, Polish, Swedish, Czech, Japanese, Chinese and Korean.
CONSENT_STEMS: dict[str, tuple[str, ...]] = {
    "erased": (
        "erase", "erasure", "forgotten", "forget", "deleted", "delete", "geloscht", "loschung",
        "supprime", "borrado", "eliminado", "cancellato", "usuniet", "verwijderd", "削除", "删除", "삭제",
    ),
    "complained": ("complain", "spam", "abuse", "beschwerde", "plainte", "queja", "reclamo", "skarga", "klacht", "苦情", "投诉", "投訴", "스팸", "신고"),
    "unsubscribed": (
        "unsub", "optout", "optedout", "withdraw", "revok", "declin", "refus", "denied", "deny", "reject",
        "blocklist", "blacklist", "denylist", "blocked", "suppress", "removed", "remove", "cancel", "stopped", "stop",
        "donotcontact", "donotemail", "donotmail", "dontemail", "dontcontact", "dnc", "nocontact", "nomail", "noemail",
        "nomarketing", "inactive", "lapsed", "expired",
        "abgemeldet", "abmeld", "abbestellt", "widerruf", "gesperrt", "keinewerbung",
        "desinscri", "desabonn", "desabo", "retire", "oppos", "bloque",
        "desuscri", "darsedebaja", "baja", "cancelad", "retirad", "revocad",
        "disiscri", "annullat", "revocat",
        "descadastr", "cancelou", "descredenci",
        "afgemeld", "uitgeschreven", "ingetrokken",
        "wypis", "rezygn", "wycofa", "odwola", "anulow", "zablokow", "sprzeciw",
        "avregistr", "avanmal", "avslut", "odhlas", "odhlás",
        "配信停止", "停止", "解除", "拒否", "退会", "取消", "退订", "退訂", "拒绝", "拒絕", "撤回", "수신거부", "거부", "취소", "해지", "철회",
    ),
    "bounced": ("bounce", "undeliver", "mailboxfull", "rebond", "rebot", "unzustellbar", "odbit", "バウンス", "退信", "반송"),
    "cleaned": ("cleaned", "bereinigt", "nettoye", "limpiad", "invalid"),
    "pending": ("pending", "unconfirm", "awaiting", "notconfirm", "ausstehend", "enattente", "pendiente", "oczekuj", "未確認", "待", "대기"),
}
# Words that turn a positive wording negative ("not subscribed", "no longer opted in", "nicht angemeldet").
NEGATIONS = ("not", "no", "never", "non", "nor", "without", "kein", "keine", "nicht", "nie", "pas", "sans", "nunca", "sin", "nao", "niet", "geen", "nej", "ne")

# Values of an opt-out flag column that mean "yes, opted out".
TRUTHY = (
    "yes", "y", "true", "t", "1", "x", "on", "ja", "oui", "si", "sí", "tak", "sim", "はい", "是", "예", "unsubscribed", "opted out",
    "blacklisted", "blocklisted", "blocked", "do not contact", "do not email", "opted-out", "suppressed",
)  # fmt: skip

LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("english", "englisch", "anglais", "inglés", "angielski", "英語", "英语", "영어"),
    "de": ("german", "deutsch", "allemand", "alemán", "niemiecki", "ドイツ語", "德语", "독일어"),
    "fr": ("french", "français", "französisch", "francés", "francuski", "フランス語", "法语", "프랑스어"),
    "es": ("spanish", "español", "castellano", "spanisch", "espagnol", "hiszpański", "スペイン語", "西班牙语", "스페인어"),
    "pl": ("polish", "polski", "polnisch", "polonais", "polaco", "ポーランド語", "波兰语", "폴란드어"),
    "ja": ("japanese", "日本語", "japanisch", "japonais", "japonés", "japoński", "日语", "일본어"),
    "zh": ("chinese", "中文", "汉语", "漢語", "普通话", "chinesisch", "chinois", "chino", "chiński", "中国語", "중국어"),
    "zh-Hans": ("简体中文", "simplified chinese", "chinese (simplified)"),
    "zh-Hant": ("繁體中文", "traditional chinese", "chinese (traditional)"),
    "ko": ("korean", "한국어", "조선말", "koreanisch", "coréen", "coreano", "koreański", "韓国語", "韩语"),
    "pt": ("portuguese", "português", "portugiesisch", "portugais", "portugués", "portugalski"),
    "pt-BR": ("brazilian portuguese", "português brasileiro", "português (brasil)"),
    "it": ("italian", "italiano", "italienisch", "italien", "włoski"),
    "nl": ("dutch", "nederlands", "niederländisch", "néerlandais", "holenderski"),
    "sv": ("swedish", "svenska"), "da": ("danish", "dansk"), "nb": ("norwegian", "norsk", "bokmål"),
    "fi": ("finnish", "suomi"), "cs": ("czech", "čeština", "cestina"), "sk": ("slovak", "slovenčina"),
    "ru": ("russian", "русский"), "uk": ("ukrainian", "українська"), "tr": ("turkish", "türkçe"),
    "ar": ("arabic", "العربية"), "he": ("hebrew", "עברית"), "hi": ("hindi", "हिन्दी"), "el": ("greek", "ελληνικά"),
    "hu": ("hungarian", "magyar"), "ro": ("romanian", "română"), "vi": ("vietnamese", "tiếng việt"),
    "th": ("thai", "ไทย"), "id": ("indonesian", "bahasa indonesia"),
}


def _invert(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    inverted: dict[str, str] = {}
    for value, words in table.items():
        for word in (value, *words):
            inverted.setdefault(fold_key(word), value)
    return inverted


@lru_cache(maxsize=1)
def no_consent_keys() -> frozenset[str]:
    return frozenset(fold_key(word) for word in NO_CONSENT_WORDS)


@lru_cache(maxsize=1)
def consent_lookup() -> dict[str, str]:
    return _invert(CONSENT_WORDS)


@lru_cache(maxsize=1)
def consent_stems() -> list[tuple[str, str]]:
    """(folded stem, status), the strongest statuses first (erased … pending)."""
    return [(fold_key(stem), status) for status, stems in CONSENT_STEMS.items() for stem in stems]


@lru_cache(maxsize=1)
def truthy_keys() -> list[str]:
    return sorted({fold_key(word) for word in TRUTHY})


@lru_cache(maxsize=1)
def language_lookup() -> dict[str, str]:
    return _invert(LANGUAGE_NAMES)


@lru_cache(maxsize=1)
def country_lookup() -> dict[str, str]:
    """Folded alias -> ISO 3166-1 alpha-2, from the bundled snapshot.

    Codes win over names (alpha-2, then alpha-3, then names in file order), so a
    name in one language can never shadow another country's code.
    """
    rows: list[list[str]] = []
    text = resources.files("listclean.data").joinpath("countries.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            rows.append(line.split("\t"))
    lookup: dict[str, str] = {}
    for row in rows:
        lookup[fold_key(row[0])] = row[0]
    for row in rows:
        lookup.setdefault(fold_key(row[1]), row[0])
    for row in rows:
        for alias in row[2:]:
            lookup.setdefault(fold_key(alias), row[0])
    return lookup
