"""Regenerate src/listclean/data/countries.tsv from pycountry (ISO 3166-1 and its translations).

Run by hand when pycountry publishes new data: `python scripts/build_country_aliases.py`.
The snapshot is committed so listclean needs no pycountry at run time and gives the
same answer on every machine. Columns: alpha2, then every alias (folded at load time).
"""

from __future__ import annotations

import gettext
from pathlib import Path

import pycountry

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
    out = Path(__file__).resolve().parents[1] / "src" / "listclean" / "data" / "countries.tsv"
    with open(out, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(f"# ISO 3166-1 alpha-2 and aliases; generated from pycountry {pycountry.__version__ if hasattr(pycountry, '__version__') else ''} "
                     "(ISO 3166 data via Debian iso-codes, LGPL-2.1+) by scripts/build_country_aliases.py\n")
        for code in sorted(rows):
            seen: list[str] = []
            for name in rows[code]:
                clean = " ".join(name.replace("\t", " ").split())
                if clean and clean not in seen:
                    seen.append(clean)
            handle.write(code + "\t" + "\t".join(seen) + "\n")


if __name__ == "__main__":
    main()
