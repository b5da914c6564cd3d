"""Regenerate the example exports in examples/ (run by hand; the files are committed).

Each file imitates a real platform's export, with the mess real exports carry:
BOMs, legacy encodings, other languages, ALL-CAPS names, stray spaces and
zero-width characters, mixed date formats, people present in several files.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import xlsxwriter

OUT = Path(__file__).resolve().parents[1] / "examples"


def write(name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> None:
    (OUT / name).write_bytes(text.replace("\n", newline).encode(encoding))


def main() -> None:
    OUT.mkdir(exist_ok=True)
    # Mailchimp audience export: status is in the file name; US-style columns.
    write(
        "mailchimp_subscribed_members_export_2026.csv",
        '"Email Address","First Name","Last Name","Phone Number",MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,CC,TAGS,LEID\n'
        '"anna.nowak@gmail.com","ANNA","NOWAK","+48 600 123 456",4,"2024-03-05 10:12:00","2024-03-05 10:15:00",PL,"""vip"",""newsletter""",1001\n'
        '" John.Smith@Example.com ","john","smith","(415) 555-2671",2,"2023-11-20 08:00:00","2023-11-20 08:01:00",US,"newsletter",1002\n'
        '"maria.garcia@hotmail.es","María","García","612 34 56 78",3,"2025-01-15 19:30:00",,ES,,1003\n'
        '"li.wei@qq.com","Wei","Li",,1,"2022-06-01 00:00:00","2022-06-01 00:05:00",CN,"asia",1004\n'
        '"office@acme-widgets.com","","","",1,"2021-09-09 09:09:09",,GB,,1005\n',
    )
    # HubSpot contacts: UTF-8 with BOM, CRLF line ends, US dates, an opt-out flag column.
    write(
        "hubspot_contacts.csv",
        "\ufeffRecord ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Country/Region,City,"
        "Create Date,Last Activity Date,Unsubscribed from all email,Lifecycle Stage\n"
        '501,Anna,Nowak,Anna.Nowak@gmail.com,600123456,Nowak Design,Owner,Poland,Kraków,03/05/2024 10:12 AM,11/02/2026 04:30 PM,false,customer\n'
        '502,Peter,Jones,peter.jones@outlook.com,+44 20 7946 0958,Jones & Co,CFO,United Kingdom,London,12/24/2022 09:00 AM,01/10/2025 11:00 AM,true,lead\n'
        '503,Chloé,Martin,chloe.martin@orange.fr,06 12 34 56 78,"Martin, Fils et Cie",Directrice,France,Paris,07/14/2023 02:00 PM,,false,subscriber\n'
        '504,Jane,Doe,jane.doe@yahoo.com\u200b,555-0100,,"=HYPERLINK(""http://x"")",USA,New York,02/29/2024 08:00 AM,10/31/2026 09:15 AM,false,customer\n',
        newline="\r\n",
    )
    # A German shop system: semicolon, cp1252, dd.mm.yyyy, decimal comma, euro sign.
    write(
        "shop_kunden_cp1252.csv",
        "E-Mail-Adresse;Vorname;Nachname;Telefon;Firma;Land;PLZ;Ort;Anmeldedatum;Newsletter;Umsatz;Bestellungen\n"
        "JÜRGEN.MÜLLER@WEB.DE;JÜRGEN;MÜLLER;+49 30 1234567;Müller GmbH;Deutschland;01067;Dresden;05.03.2024;ja;1.234,50 €;7\n"
        "sophie.weber@gmx.de;Sophie;Weber;0170 1234567;;Österreich;1010;Wien;17.11.2025;nein;89,90 €;1\n"
        "francois.dupont@free.fr;François;Dupont;;;Frankreich;75001;Paris;01.02.2023;ja;0,00 €;0\n"
        ";;;;;;;;;;;\n"
        "anna.nowak@gmail.com;Anna;Nowak;;;Polen;30-001;Kraków;05.03.2024;ja;45,00 €;2\n",
        encoding="cp1252",
        newline="\r\n",
    )
    # Excel "Unicode text" export of a Japanese member list: UTF-16 LE with BOM, tab-delimited.
    write(
        "japan_members_utf16.txt",
        "\ufeffメールアドレス\t姓\t名\t電話番号\t会社名\t国\t登録日\t配信同意\n"
        "yamada.taro@example.co.jp\t山田\t太郎\t03-1234-5678\t山田商事\t日本\t2024年3月5日\tはい\n"
        "sato.hanako@docomo.ne.jp\t佐藤\t花子\t090-1234-5678\t\t日本\t2025/01/20\tいいえ\n"
        "suzuki@example.co.jp\t鈴木\t一郎\t\t鈴木工業\tJapan\t2023/07/07\tはい\n",
        encoding="utf-16-le",
        newline="\r\n",
    )
    # Klaviyo profiles, saved from Excel as .xlsx: numbers and dates as Excel types.
    workbook = xlsxwriter.Workbook(str(OUT / "klaviyo_profiles.xlsx"))
    sheet = workbook.add_worksheet("Profiles")
    date = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    header = ["Email", "First Name", "Last Name", "Phone Number", "Organization", "Country", "Source",
              "Email Marketing Consent", "Created", "Last Open", "Last Click", "Historic Number Of Orders",
              "Total Customer Lifetime Value"]
    sheet.write_row(0, 0, header)
    rows = [
        ["kim.minji@naver.com", "Minji", "Kim", "+82 10-1234-5678", "", "South Korea", "instagram", "SUBSCRIBED",
         dt.datetime(2025, 4, 2, 12, 0), dt.datetime(2026, 10, 1, 8, 0), dt.datetime(2026, 9, 30, 8, 5), 3, 120.5],
        ["peter.jones@outlook.com", "Peter", "Jones", "", "Jones & Co", "GB", "webinar", "UNSUBSCRIBED",
         dt.datetime(2022, 12, 24, 9, 0), None, None, 0, 0],
        ["bounce.me@example.org", "Old", "Lead", "", "", "US", "purchased-list", "SUBSCRIBED",
         dt.datetime(2020, 1, 1, 0, 0), None, None, 0, 0],
        ["JOHN.SMITH@EXAMPLE.COM", "John", "Smith", "4155552671", "", "United States", "checkout", "SUBSCRIBED",
         dt.datetime(2023, 11, 20, 8, 0), dt.datetime(2026, 11, 1, 10, 0), None, 5, 310.0],
    ]
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(number, column, value, date)
            elif value != "" and value is not None:
                sheet.write(number, column, value)
    workbook.close()
    # A signup form's webhook log: NDJSON with Chinese and Korean keys.
    lines = [
        {"电子邮件": "zhang.san@163.com", "姓名": "张三", "电话": "+86 138 0013 8000", "国家": "中国", "注册日期": "2025-08-08T08:08:08+08:00"},
        {"电子邮件": "chen.mei@gmail.com", "姓名": "陈美", "电话": "13900139000", "国家": "中国", "注册日期": "2026-02-14"},
        {"电子邮件": "lee.jiwoo@kakao.com", "姓名": "이지우", "电话": "010-9876-5432", "国家": "대한민국", "注册日期": "2026. 5. 1."},
    ]
    write("signup_form.ndjson", "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))


if __name__ == "__main__":
    main()
