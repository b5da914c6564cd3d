"""Regenerate src/listclean/data/countries.tsv from pycountry (ISO 3166-1 and its translations)
and Unicode CLDR's territory names in every language CLDR knows (through babel).

Run by hand when either publishes new data: `pip install pycountry babel` then
`python scripts/build_country_aliases.py`. The snapshot is committed so listclean needs neither
at run time and gives the same answer on every machine. Columns: alpha2, then every alias
(folded at load time). A CLDR name that two countries share in different languages is left out
(it could not say which one is meant); ISO's and the hand-written names always stay.
"""

from __future__ import annotations

import gettext
from pathlib import Path

import pycountry
from babel import Locale, localedata

from listclean.text import fold_key

LANGUAGES = ["de", "fr", "es", "pl", "ja", "zh_CN", "zh_TW", "ko", "pt", "it", "nl", "sv", "da", "nb", "fi", "cs", "ru", "uk"]

# Names people type that ISO does not list.
EXTRA = {
    "GB": ["UK", "U.K.", "Great Britain", "Britain", "England", "Scotland", "Wales", "Northern Ireland", "United Kingdom",
           "Großbritannien", "Royaume-Uni", "Reino Unido", "Wielka Brytania", "イギリス", "英国", "英國", "영국"],
    "US": ["USA", "U.S.A.", "U.S.", "US", "United States", "America", "United States of America", "Estados Unidos",
           "Vereinigte Staaten", "États-Unis", "Stany Zjednoczone", "アメリカ", "アメリカ合衆国", "美国", "美國", "미국"],
    "NL": ["Holland", "The Netherlands", "Nederland"],
    "KR": ["South Korea", "Korea", "Republic of Korea", "Korea, South", "대한민국", "한국", "韓国", "韩国", "南韓"],
    "KP": ["North Korea"],
    "RU": ["Russia"], "CZ": ["Czech Republic", "Czechia"], "VN": ["Vietnam"], "IR": ["Iran"], "SY": ["Syria"],
    "TW": ["Taiwan", "台灣", "台湾", "臺灣"], "BO": ["Bolivia"], "VE": ["Venezuela"], "TZ": ["Tanzania"],
    "MD": ["Moldova"], "LA": ["Laos"], "MK": ["Macedonia", "North Macedonia"], "CI": ["Ivory Coast"],
    "CD": ["DR Congo", "DRC", "Congo-Kinshasa"], "CG": ["Congo-Brazzaville"], "VA": ["Vatican"],
    "PS": ["Palestine"], "BN": ["Brunei"], "FM": ["Micronesia"], "TR": ["Turkey", "Türkiye"],
    "AE": ["UAE", "U.A.E.", "Emirates"], "DE": ["Deutschland", "Germany", "BRD"], "CH": ["Schweiz", "Suisse", "Svizzera"],
    "AT": ["Österreich"], "PL": ["Polska"], "ES": ["España"], "JP": ["Nippon", "Nihon", "日本国"], "CN": ["PRC", "中国", "中國", "中华人民共和国"],
    "HK": ["Hong Kong SAR", "香港"], "MO": ["Macau"], "CV": ["Cape Verde"], "SZ": ["Swaziland"], "MM": ["Burma"],
    "TL": ["East Timor"], "FK": ["Falkland Islands"], "BA": ["Bosnia"], "IN": ["Bharat"], "BR": ["Brasil"],
    "MX": ["México"], "IT": ["Italia"], "FR": ["La France"], "BE": ["Belgique", "België"],
}


def main() -> None:
    rows: dict[str, list[str]] = {}
    translators = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]) for lang in LANGUAGES]
    for country in pycountry.countries:
        names = [country.alpha_3, country.name]
        for attribute in ("official_name", "common_name"):
            if hasattr(country, attribute):
                names.append(getattr(country, attribute))
        for english in list(names[1:]):
            for translator in translators:
                names.append(translator.gettext(english))
        rows[country.alpha_2] = names
    for code, names in EXTRA.items():
        rows[code].extend(names)
    # CLDR: the name of every country in every base language (Russland, Rosja, Россия, Rusia …).
    cldr: dict[str, set[str]] = {}
    for identifier in sorted(localedata.locale_identifiers()):
        if "_" in identifier:
            continue  # regional variants repeat their language's names
        try:
            territories = Locale.parse(identifier).territories
        except Exception:  # noqa: BLE001 - a locale babel cannot load is skipped
            continue
        for code, name in territories.items():
            if code in rows and name:
                cldr.setdefault(fold_key(name), set()).add(code)
    known = {fold_key(name): code for code, names in rows.items() for name in [code, *names]}
    for identifier in sorted(localedata.locale_identifiers()):
        if "_" in identifier:
            continue
        try:
            territories = Locale.parse(identifier).territories
        except Exception:  # noqa: BLE001
            continue
        for code, name in sorted(territories.items()):
            key = fold_key(name) if name else ""
            if code not in rows or not key or len(cldr.get(key, ())) != 1 or known.get(key, code) != code:
                continue
            rows[code].append(name)
    out = Path(__file__).resolve().parents[1] / "src" / "listclean" / "data" / "countries.tsv"
    with open(out, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(f"# ISO 3166-1 alpha-2 and aliases; generated from pycountry {pycountry.__version__ if hasattr(pycountry, '__version__') else ''} "
                     f"(ISO 3166 data via Debian iso-codes, LGPL-2.1+) and babel {__import__('babel').__version__} "
                     "(Unicode CLDR territory names, Unicode License v3) by scripts/build_country_aliases.py\n")
        for code in sorted(rows):
            seen: list[str] = []
            for name in rows[code]:
                clean = " ".join(name.replace("\t", " ").split())
                if clean and clean not in seen:
                    seen.append(clean)
            handle.write(code + "\t" + "\t".join(seen) + "\n")


if __name__ == "__main__":
    main()
