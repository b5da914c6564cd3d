"""A property over every command that writes contacts (issue #16 point 5): for any suppressed
address and any variant of it (case, mailto:, a display name, a trailing dot, a full-width @,
zero-width characters, NFD, Gmail dots, +tags where the provider delivers them, googlemail.com)
placed among random rows, no output of export (every --to, --hash), segment --split-dir or run
holds any variant — whether the address is suppressed by another row, another input, a
--suppress list (as an address or a hash) or the store (an entry or an erasure)."""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listclean.platforms import EXPORT_TARGETS
from listclean.suppression import keys_of, normalised_of

PLUS_DOMAINS = ["gmail.com", "googlemail.com", "outlook.com", "icloud.com", "me.com"]
OTHER_DOMAINS = ["firma.pl", "example-shop.de", "uni.edu"]
HOW = ["row", "other_input", "list", "list_hash", "store", "erase"]
EXAMPLES = int(os.environ.get("SUPPRESSION_EXAMPLES", "5"))


@st.composite
def suppressed_addresses(draw) -> str:
    local = draw(st.from_regex(r"[a-z]{2,6}(\.[a-z]{2,5})?", fullmatch=True))
    if draw(st.booleans()):
        local += draw(st.sampled_from(["é", "ø", "ü"]))
    return f"{local}@{draw(st.sampled_from(PLUS_DOMAINS + OTHER_DOMAINS))}"


@st.composite
def variants(draw, address: str, keep_dots: bool = False) -> str:
    local, domain = address.split("@")
    if domain in ("gmail.com", "googlemail.com"):
        if not keep_dots and draw(st.booleans()):  # a hash cannot be undone: a hashed Gmail address keeps its dots
            local = local.replace(".", "")
            cut = draw(st.integers(1, max(1, len(local) - 1)))
            local = local[:cut] + "." + local[cut:]
        if draw(st.booleans()):
            domain = "googlemail.com" if domain == "gmail.com" else "gmail.com"
    if domain in PLUS_DOMAINS and draw(st.booleans()):
        local += "+" + draw(st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True))
    text = local + draw(st.sampled_from(["@", "@", "\uff20"])) + domain
    if draw(st.booleans()):
        text = "".join(ch.upper() if draw(st.booleans()) else ch for ch in text)
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["\u200b", "\u200d", "\ufeff"])) + text[cut:]
    wrap = draw(st.sampled_from(["plain", "mailto", "MAILTO", "display", "dot", "spaces"]))
    return {
        "plain": text, "mailto": f"mailto:{text}", "MAILTO": f"MAILTO:{text}", "display": f"Jane Doe <{text}>",
        "dot": f"{text}.", "spaces": f"  {text} ",
    }[wrap]  # fmt: skip


@st.composite
def cases(draw) -> dict:
    address = draw(suppressed_addresses())
    how = draw(st.sampled_from(HOW))
    return {
        "address": address,
        "variants": draw(st.lists(variants(address, keep_dots=how == "list_hash"), min_size=1, max_size=3)),
        "how": how,
        "others": draw(st.lists(st.from_regex(r"[a-z]{3,8}", fullmatch=True), min_size=0, max_size=6, unique=True)),
        "statuses": draw(st.lists(st.sampled_from(["subscribed", "subscribed", "pending", "", "yes"]), min_size=6, max_size=6)),
        "seed": draw(st.integers(0, 1000)),
    }


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _prepare(case: dict, folder: Path) -> tuple[list[Path], list[str]]:
    """The input files and the suppression options of one case."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [(f"{name}@firma.pl", case["statuses"][i % 6]) for i, name in enumerate(case["others"])]
    for variant in case["variants"]:
        rows.insert(case["seed"] % (len(rows) + 1), (variant, "subscribed"))
    main = folder / "contacts.csv"
    main.write_text("email,country,consent_status\n" + "".join(f"{_csv_cell(e)},PL,{s}\n" for e, s in rows), encoding="utf-8")
    inputs, options = [main], []
    how, address = case["how"], case["address"]
    if how == "row":
        with main.open("a", encoding="utf-8") as handle:
            handle.write(f"{_csv_cell(address)},PL,unsubscribed\n")
    elif how == "other_input":
        other = folder / "unsubscribes.csv"
        other.write_text(f"email,consent_status\n{_csv_cell(address)},Unsubscribed (2024-05-01)\n", encoding="utf-8")
        inputs.append(other)
    elif how in ("list", "list_hash"):
        listed = folder / "dnm.txt"
        entry = hashlib.sha256(normalised_of([address])[0].encode()).hexdigest() if how == "list_hash" else address
        listed.write_text(entry + "\n", encoding="utf-8")
        options += ["--suppress", str(listed)]
    else:
        store = folder / "store.tsv"
        if how == "store":
            store.write_text(f"{address}\tunsubscribed\t2024-01-01\n", encoding="utf-8")
        options += ["--store", str(store)]
    return inputs, options


def _leaks(case: dict, files: list[Path]) -> list[str]:
    """Every cell of the written files that is a variant of the suppressed address (or its hash)."""
    key = keys_of([case["address"]])[0]
    forms = {*normalised_of([case["address"], *case["variants"]]), key}
    hashes = {hashlib.sha256(form.encode()).hexdigest() for form in forms if form}
    found = []
    for path in files:
        frame = pl.read_csv(path, infer_schema=False)
        cells = [cell for column in frame.columns for cell in frame[column].drop_nulls().to_list()]
        found += [cell for cell, cell_key in zip(cells, keys_of(cells)) if cell_key == key or cell.strip().lower() in hashes]
    return found


def _erase_first(cli, case: dict, options: list[str]) -> None:
    if case["how"] == "erase":
        result = cli(["erase", case["variants"][0], "--store", options[options.index("--store") + 1]])
        assert result.exit_code == 0, result.stderr


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize("target", [*(["--to", to] for to in EXPORT_TARGETS), ["--hash", "sha256"]], ids=[*EXPORT_TARGETS, "hash"])
@SETTINGS
@given(case=cases())
def test_export_never_writes_a_variant_of_a_suppressed_address(cli, tmp_path_factory, target, case):
    folder = tmp_path_factory.mktemp("export")
    inputs, options = _prepare(case, folder)
    _erase_first(cli, case, options)
    out = folder / "out.csv"
    result = cli(["export", *inputs, "-o", out, *target, *options, "--json"])
    assert result.exit_code == 0, result.stderr
    assert not _leaks(case, [out]), (case, out.read_text())


@SETTINGS
@given(case=cases())
def test_segment_split_files_never_hold_a_variant_of_a_suppressed_address(cli, tmp_path_factory, case):
    folder = tmp_path_factory.mktemp("segment")
    inputs, options = _prepare(case, folder)
    _erase_first(cli, case, options)
    split = folder / "split"
    split.mkdir()
    args = ["segment", *inputs, "--where", "country = 'PL' OR country IS NULL", "--name", "all", "--include-unmailable", "-o", folder / "out.csv"]
    result = cli([*args, "--split-dir", split, *options, "--json"])
    assert result.exit_code == 0, result.stderr
    assert not _leaks(case, list(split.iterdir())), case


@settings(max_examples=max(3, EXAMPLES // 2), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=cases(), to=st.sampled_from(EXPORT_TARGETS))
def test_run_never_writes_a_variant_of_a_suppressed_address(cli, tmp_path_factory, case, to):
    folder = tmp_path_factory.mktemp("run")
    inputs, options = _prepare(case, folder / "exports")
    _erase_first(cli, case, options)
    (folder / "outbox").mkdir()
    (folder / "split").mkdir()
    lines = ["[run]", 'inputs = ["exports/*.csv"]', 'workdir = "clean"', 'as_of = "2026-11-24"']
    if "--store" in options:
        lines.append(f'store = "{options[options.index("--store") + 1]}"')
    if "--suppress" in options:
        lines.append(f'suppress = ["{options[options.index("--suppress") + 1]}"]')
    lines += ["", "[run.segment]", "where = \"country = 'PL' OR country IS NULL\"", 'name = "all"', 'split_dir = "split"', "include_unmailable = true"]
    lines += ["", "[[run.export]]", f'to = "{to}"', 'output = "outbox/out.csv"', "", "[[run.export]]", 'hash = "sha256"', 'output = "outbox/audience.csv"']
    config = folder / "nightly.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli(["run", config, "--json"])
    assert result.exit_code == 0, result.stderr
    written = [*(folder / "outbox").iterdir(), *(folder / "split").iterdir()]
    assert written
    assert not _leaks(case, written), (case, json.dumps([p.read_text() for p in written]))
