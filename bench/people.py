"""Deterministic contacts with known duplicates, for measuring dedupe quality and speed.

    python bench/people.py 100000 bench/data/people_100k.parquet

Each generated person gets one record; about a third get one to three more, each with the
corruptions real exports show: address case, Gmail dots and +tags, a typo in the domain or
the mailbox name, a second mailbox, a nickname or a typo in the given name, accents lost or
a transliterated spelling, first and last name swapped, missing address, phone or names.
Hard negatives are generated too: people sharing a household inbox (same address, another
given name), and different people with the same common name.

`person_id` is the truth. Columns are canonical (what `listclean import` writes), so the
dedupe library can be measured on its own; `to_export` renders them as a messy CSV too.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import polars as pl

FIRST = (
    "anna maria katarzyna małgorzata agnieszka barbara ewa krystyna elżbieta zofia john michael william robert james "
    "david richard joseph thomas charles christopher daniel matthew anthony mark donald steven paul andrew joshua "
    "elizabeth jennifer linda susan jessica sarah karen nancy lisa margaret sophie emma olivia isabella amelia "
    "jürgen klaus stefan andreas markus łukasz piotr tomasz paweł krzysztof jakub marco giulia francesco alessandro "
    "pierre camille louis julien nicolas carlos josé javier lucía sofía yuki haruto aiko wei fang minjun seo-yeon "
    "olga yuliya dmitry sergey aleksandr ivan fatima mohammed ali priya raj ingrid sven nils astrid zoë chloé"
).split()
LAST = (
    "smith johnson williams brown jones miller davis wilson anderson taylor thomas moore martin jackson thompson white "
    "harris clark lewis robinson walker young allen king wright scott nowak kowalski wiśniewski wójcik kowalczyk "
    "kamiński lewandowski zieliński szymański woźniak dąbrowski müller schmidt schneider fischer weber meyer wagner "
    "becker schulz hoffmann rossi russo ferrari esposito bianchi romano colombo ricci dubois durand lefebvre moreau "
    "laurent simon michel garcía rodríguez martínez hernández lópez gonzález pérez sánchez tanaka suzuki takahashi "
    "watanabe ito kim lee park choi ivanov petrov sidorov smirnov kuznetsov novák svoboda horváth nagy andersson "
    "johansson nielsen hansen jensen o'brien murphy kelly van der berg de jong de la cruz singh patel khan wang li zhang"
).split()
NICKNAMES = {
    "william": ["bill", "will", "billy"], "robert": ["bob", "rob", "bobby"], "james": ["jim", "jimmy"],
    "michael": ["mike", "mick"], "richard": ["rick", "dick"], "joseph": ["joe", "joey"], "thomas": ["tom", "tommy"],
    "charles": ["charlie", "chuck"], "christopher": ["chris"], "daniel": ["dan", "danny"], "matthew": ["matt"],
    "anthony": ["tony"], "andrew": ["andy", "drew"], "elizabeth": ["liz", "beth", "betty"], "jennifer": ["jen", "jenny"],
    "margaret": ["maggie", "peggy"], "katarzyna": ["kasia"], "małgorzata": ["gosia"], "aleksandr": ["sasha"],
    "jakub": ["kuba"], "joshua": ["josh"], "steven": ["steve"], "susan": ["sue"], "nicolas": ["nico"],
}
TRANSLITERATED = {"yuliya": "юлия", "dmitry": "дмитрий", "sergey": "сергей", "olga": "ольга", "ivanov": "иванов", "petrov": "петров"}
FREE = ["gmail.com"] * 6 + ["yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "wp.pl", "gmx.de", "web.de", "orange.fr", "libero.it", "mail.ru"]
WORK = ["acme.com", "globex.de", "initech.pl", "umbrella.co.uk", "hooli.io", "vandelay.fr", "stark.it", "wayne.com"]
CITIES = ["Warszawa", "Kraków", "Berlin", "München", "London", "Paris", "Roma", "Madrid", "New York", "Tokyo", "Seoul", "Praha"]
COUNTRIES = ["PL", "PL", "DE", "DE", "GB", "FR", "IT", "ES", "US", "JP", "KR", "CZ"]
MOBILE_PREFIX = ["50", "51", "53", "60", "66", "69", "72", "73", "78", "79", "88"]
KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def _person(rng: random.Random, pid: int) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    plain = lambda s: "".join(ch for ch in s.replace("ł", "l") if ch.isascii() and ch.isalpha())  # noqa: E731
    style = rng.random()
    # The person id in the address keeps two generated people from sharing one by chance.
    local = (
        f"{plain(first)}.{plain(last)}{pid}" if style < 0.5
        else f"{plain(first)[0]}{plain(last)}{pid}" if style < 0.8
        else f"{plain(last)}.{plain(first)}{pid}"
    )  # fmt: skip
    domain = rng.choice(FREE) if rng.random() < 0.75 else rng.choice(WORK)
    city = rng.randrange(len(CITIES))
    return {
        "person_id": pid,
        "email": f"{local}@{domain}",
        "first_name": first.title(),
        "last_name": last.title(),
        "phone": f"+48{rng.choice(MOBILE_PREFIX)}{rng.randrange(10_000_000):07d}" if rng.random() < 0.7 else None,
        "company": domain.split(".")[0].title() if domain in WORK else None,
        "city": CITIES[city],
        "country": COUNTRIES[city],
        "postal_code": f"{rng.randrange(100_000):05d}" if rng.random() < 0.6 else None,
        "signup_day": rng.randrange(3000),
        "purchase_count": rng.randrange(5),
        "consent_status": rng.choice(["subscribed"] * 8 + ["unsubscribed", "bounced"]),
    }


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.33:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # transposition
    if kind < 0.66:
        return text[:i] + rng.choice(KEYBOARD) + text[i + 1 :]  # substitution
    return text[:i] + text[i + 1 :]  # deletion


def _corrupt(rng: random.Random, record: dict) -> dict:
    out = dict(record)
    local, _, domain = out["email"].partition("@")
    for _ in range(rng.choice([1, 1, 2])):
        kind = rng.random()
        if out["email"] is None and kind < 0.48:
            continue
        if kind < 0.12:
            out["email"] = out["email"].upper() if rng.random() < 0.5 else out["email"].title()
        elif kind < 0.22 and domain == "gmail.com":
            out["email"] = f"{local.replace('.', '')}+{rng.choice(['news', 'shop', 'x'])}@googlemail.com"
        elif kind < 0.32:
            out["email"] = f"{local}@{_typo(rng, domain.split('.')[0])}.{domain.split('.', 1)[1]}"
        elif kind < 0.40:
            out["email"] = f"{_typo(rng, local)}@{domain}"
        elif kind < 0.48:
            out["email"] = f"{local}@{rng.choice([d for d in FREE + WORK if d != domain])}"  # second mailbox
        elif kind < 0.58:
            nick = NICKNAMES.get(out["first_name"].lower())
            out["first_name"] = rng.choice(nick).title() if nick else _typo(rng, out["first_name"])
        elif kind < 0.66:
            out["first_name"] = _typo(rng, out["first_name"])
        elif kind < 0.72:
            first, last = out["first_name"].lower(), out["last_name"].lower()
            out["first_name"] = TRANSLITERATED.get(first, first.encode("ascii", "ignore").decode() or first).title()
            out["last_name"] = TRANSLITERATED.get(last, last.encode("ascii", "ignore").decode() or last).title()
        elif kind < 0.78:
            out["first_name"], out["last_name"] = out["last_name"], out["first_name"]
        elif kind < 0.84:
            out["first_name"] = out["first_name"].upper()
            out["last_name"] = out["last_name"].upper()
        elif kind < 0.90 and out["phone"]:
            out["email"] = None
        elif kind < 0.95:
            out["phone"] = None
        else:
            out["first_name"] = out["first_name"][0] + "."
    out["signup_day"] = record["signup_day"] + rng.randrange(0, 400)
    out["purchase_count"] = rng.randrange(3)
    return out


def generate_people(rows: int, seed: int = 424242) -> pl.DataFrame:
    """About `rows` records of fewer people; `person_id` says who is who."""
    rng = random.Random(seed)
    records: list[dict] = []
    pid = 0
    while len(records) < rows:
        person = _person(rng, pid)
        records.append(person)
        roll = rng.random()
        if roll < 0.30:
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                records.append(_corrupt(rng, person))
        elif roll < 0.32 and person["email"]:
            # A household inbox: someone else, same surname, same address.
            pid += 1
            other = _person(rng, pid)
            other.update(email=person["email"], last_name=person["last_name"], city=person["city"], country=person["country"])
            while other["first_name"] == person["first_name"]:
                other["first_name"] = rng.choice(FIRST).title()
            records.append(other)
        pid += 1
    order = list(range(len(records)))
    rng.shuffle(order)
    frame = pl.DataFrame([records[i] for i in order[:rows]], infer_schema_length=None)
    return frame.with_columns(
        (pl.datetime(2017, 1, 1, time_zone="UTC") + pl.duration(days=pl.col("signup_day"))).alias("signup_at"),
        pl.lit("people.csv").alias("_source_file"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_source_row"),
    ).drop("signup_day")


def pairwise_quality(truth: pl.Series, clusters: pl.Series) -> dict[str, float]:
    """Pairwise precision, recall and F1 of predicted clusters against true person ids."""
    frame = pl.DataFrame({"truth": truth, "cluster": clusters})

    def pairs(*keys: str) -> int:
        sizes = frame.group_by(*keys).len()["len"].cast(pl.Int64)
        return int((sizes * (sizes - 1) // 2).sum())

    true_pairs, predicted, correct = pairs("truth"), pairs("cluster"), pairs("truth", "cluster")
    precision = correct / predicted if predicted else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": true_pairs, "predicted_pairs": predicted}


if __name__ == "__main__":
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    path = Path(sys.argv[2] if len(sys.argv) > 2 else f"bench/data/people_{rows}.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    generate_people(rows).write_parquet(path)
    print(f"{rows:,} rows -> {path}")
