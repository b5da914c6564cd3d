"""A deterministic corpus of realistic and broken addresses for differential tests."""

from __future__ import annotations

import random

LOCALS = ["anna", "john.smith", "J.Doe", "x", "info", "INFO", "Postmaster", "first_last", "a+tag", "o'brien", "user%host",
          "very.common", "disposable.style.email.with+symbol", "other.email-with-hyphen", "fully-qualified-domain",
          "user.name+tag+sorting", "x" * 64, "x" * 65, "example-indeed", "test/test", "admin", "#!$%&'*+-/=?^_`{}|~",
          "jürgen", "山田", "δοκιμή", "иван", "ñandú", "Abuse", "SALES", "mañana", "user..name", ".user", "user.", "",
          # Unicode local parts at the edges of email-validator's rules: not in NFC, a combining mark first,
          # spaces, format, private-use and unassigned characters, an emoji newer than some Pythons'
          # Unicode, a Kelvin sign that lower-cases to an RFC 2142 name, right-to-left scripts.
          "e\u0301mile", "\u0301abc", "x\u0300", "a\u3000b", "a\u200db", "\ue000x", "x\u0378", "\U0001FA75", "mar\u212Aeting",
          "ⅷ", "ǅemo", "ﬁle", "straße", "İnfo", "a\u00adb", "a\u2028b", "😀", "a.ü", "ü..x", "ü.", "\u05d0\u05d1", "١٢٣",
          "\u1100\u1161", "a\U000E0001"]
DOMAINS = ["gmail.com", "Gmail.COM", "example.com", "sub.domain.co.uk", "xn--bcher-kva.de", "bücher.de", "MÜNCHEN.de",
           "localhost", "test", "foo.test", "a.invalid", "printer.local", "x.onion", "1.in-addr.arpa", "127.0.0.1",
           "[127.0.0.1]", "[IPv6:::1]", "domain-.com", "-domain.com", "do--main.com", "ab--cd.com", "xn--fsqu00a.xn--0zwm56d",
           "a." * 120 + "com", "l" * 63 + ".com", "l" * 64 + ".com", "123.456", "co.1a", "x.y", "a.b.c.d.e.f", "yahoo.co.jp",
           "例え.テスト", "пример.рф", "domain..com", "domain.com.", ".domain.com", "dömäin.com", "xn--.com", "xn--a.com",
           "EXAMPLE.ORG", "ex_ample.com", "exa mple.com", "ｇｍａｉｌ.com", "gmail。com", "ⓖmail.com", "mail.xn--p1ai", "a" * 250 + ".com"]
JUNK = list(" \t\"(),:;<>@[\\]") + ["\u200b", "\u00a0", "＠", "é", "ß", "İ", "ﬁ", "\u0301", "😀", "\x00", "\x7f", "-", ".", "_", "+",
        "\u3000", "\u200d", "\ue000", "\u0378", "\u00ad", "\u2028", "ü", "\u0300", "\u212a"]


def realistic(rng: random.Random) -> str:
    return f"{rng.choice(LOCALS)}@{rng.choice(DOMAINS)}"


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        position = rng.randint(0, len(chars))
        if op < 0.4:
            chars.insert(position, rng.choice(JUNK))
        elif op < 0.7 and chars:
            del chars[min(position, len(chars) - 1)]
        elif chars:
            i = min(position, len(chars) - 2)
            if i >= 0:
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


PLAIN_DOMAINS = ["gmail.com", "Yahoo.com", "outlook.de", "firma.pl", "mail.example.co.uk", "x.io", "a-b.museum"]


def corpus(size: int, seed: int = 20261124) -> list[str]:
    """Half everyday addresses (distinct, as in a real list), half edge cases, some of them mutated."""
    rng = random.Random(seed)
    out = []
    for index in range(size):
        if index % 2:
            out.append(f"{rng.choice(['anna', 'J.Doe', 'x_y', 'o+news'])}{index}@{rng.choice(PLAIN_DOMAINS)}")
            continue
        address = realistic(rng)
        if rng.random() < 0.5:
            address = mutate(rng, address)
        out.append(address)
    return out
