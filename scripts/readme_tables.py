"""The README's reference tables, rendered from the registries in the code.

Each generated table sits in README.md between two HTML comments,

    <!-- table:NAME -->
    ...
    <!-- /table:NAME -->

and is rewritten in place by `python scripts/readme_tables.py --write`. `--check` (the default)
exits 1 naming every table that differs from the code; tests/test_docs.py runs the same check.

Generated: the header aliases of every canonical field (columns.py), reason codes by status and
what each means (email/reasons.py), platform profiles (platforms.py), exit codes (errors.py), the RFM segment grid (segmentation.py). Two tables keep
hand-written explanations and are only checked: the names in their first column must be the
registry's, in its order — the dedupe rules (dedupe/compare.py) and the segment operators
(segmentation.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

try:
    import listclean  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))


def cell(text: str) -> str:
    """Text made safe for a Markdown table cell: pipes escaped (also inside code spans), one line."""
    return " ".join(text.split()).replace("|", "\\|")


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def code(name: str) -> str:
    return f"`{name}`"


def plain(text: str) -> str:
    """Plain text (a meaning, a note) as Markdown: characters that would start markup escaped."""
    return re.sub(r"([\\`*<>\[\]])", r"\\\1", text)


# --- generated tables


def reasons() -> str:
    """Reason codes by the status they lead to (most severe first), in the registry's order."""
    from listclean.email.reasons import INFO, REASONS, STATUS_ORDER

    rows = []
    for status in STATUS_ORDER:
        codes = [code(name) for name, reason in REASONS.items() if reason.severity == status]
        rows.append((f"{status} (information)" if status == INFO else status, " ".join(codes)))
    return table(("status", "codes"), rows)


def reason_meanings() -> str:
    """Every reason code with its status and meaning, in the registry's order."""
    from listclean.email.reasons import REASONS

    rows = [(code(name), reason.severity, plain(reason.meaning)) for name, reason in REASONS.items()]
    return table(("code", "status", "meaning"), rows)


def platforms() -> str:
    """The --to profiles: headers in output order (consent columns last; an audience's identifiers,
    hashed or not), value rules, file limits; then the plain csv."""
    from listclean.platforms import PROFILES

    def headers(profile) -> str:  # noqa: ANN001
        if profile.audience:
            return ", ".join(f"{i.header}{'' if i.hashed else ' (not hashed)'}" for i in profile.identifiers)
        consent = profile.consent
        extra = [h for h in (consent.status_header, consent.optin_header, consent.confirm_header, consent.consent_time_header) if h] if consent else []
        return ", ".join([*profile.columns.values(), *extra])

    rows = [(code(name), plain(headers(profile)), plain(profile.note.rstrip(".")) or "as they are", plain(profile.limits_note)) for name, profile in PROFILES.items()]
    if "csv" not in PROFILES:
        rows.append((f"{code('csv')} (default)", "listclean's canonical columns", "as they are", "—"))
    return table((code("--to"), "columns", "values", "parts"), rows)


def consent_model() -> str:
    """Per platform: which consent goes in the contact file and how it is imported, where opt-outs go."""
    from listclean.platforms import PROFILES

    rows = []
    for name, profile in PROFILES.items():
        if profile.audience:
            rows.append((code(name), "the audience, hashed", "held back (`--consent-policy` to include)", "`--exclusion`: an exclusion audience of their hashed addresses"))
            continue
        consent, opt_out = profile.consent, profile.opt_out
        subscribed = f"contact file, imported as: {consent.import_as}"
        if opt_out.split:
            where = "; ".join(f"{'the file' if not suffix else code(suffix)}: {', '.join(statuses)}" for suffix, statuses in opt_out.split.items())
            outs = f"`--suppressions` ({where}): {plain(opt_out.how)}"
        else:
            outs = f"`--suppressions` (column {opt_out.email_header}): {plain(opt_out.how)}"
        others = "held back (`--consent-policy` to include" + (f", written {consent.other_word})" if consent.other_word else ")")
        rows.append((code(name), plain(subscribed), others, outs))
    return table((code("--to"), "subscribed", "pending, unknown", "unsubscribed, complained, bounced, cleaned"), rows)


def source_profiles() -> str:
    """Every platform export import recognises: how, and what it reads differently from the generic aliases."""
    from listclean.source_profiles import PROFILES

    def said(profile) -> str:  # noqa: ANN001
        parts = []
        fields = [f"{code(h)} → {code(t)}" for h, t in profile.fields.items() if t]
        ignored = [code(h) for h, t in profile.fields.items() if t is None]
        if fields:
            parts.append("reads " + ", ".join(fields))
        if ignored:
            parts.append("never a field: " + ", ".join(ignored))
        if profile.fallback:
            parts.append("row by row, first filled: " + "; ".join(f"{code(t)} ← {' › '.join(code(h) for h in hs)}" for t, hs in profile.fallback.items()))
        if profile.signals:
            parts.append("do-not-mail signals: " + ", ".join(f"{code(s.header)} → {s.status if not s.words else ' / '.join(dict.fromkeys(status for status in [*(w for _, w in s.words), s.status] if status))}" for s in profile.signals))
        if profile.status_values:
            parts.append("status words: " + ", ".join(f"{code(w)} → {s or 'unknown'}" for w, s in profile.status_values.items()))
        if profile.separator:
            parts.append(f"multi-value cells split on {code(profile.separator.strip())}")
        return "; ".join(parts)

    rows = []
    for profile in PROFILES:
        detect = " + ".join(code(h) for h in profile.detect) + (f" + one of {', '.join(code(h) for h in profile.any_of)}" if profile.any_of else "")
        rows.append((code(profile.name), plain(profile.label), detect, said(profile)))
    return table(("profile", "export", "recognised by", "read differently"), rows)


def column_aliases() -> str:
    """Every canonical field (and the opt-out flag) with the headers that map to it, most specific first."""
    from listclean.columns import ALIASES, OPT_OUT, map_columns

    def maps_to(alias: str, name: str) -> bool:  # an alias an earlier field claims is not listed again
        mapping = map_columns([alias])
        return alias in mapping.opt_out if name == OPT_OUT else mapping.fields.get(name) == alias

    rows = []
    for name, aliases in ALIASES.items():
        label = "opt-out flag (yes → `unsubscribed`)" if name == OPT_OUT else code(name)
        rows.append((label, " ".join(code(alias) for alias in dict.fromkeys(aliases) if maps_to(alias, name))))
    return table(("field", "headers (compared case-, accent- and punctuation-insensitively)"), rows)


def exit_codes() -> str:
    from listclean.errors import EXIT_CODE_MEANINGS

    return table(("exit code", "meaning"), [(str(int(status)), meaning) for status, meaning in EXIT_CODE_MEANINGS.items()])


def rfm_segments() -> str:
    """rfm_segment by recency score (rows, 5 first) and the F+M score (columns 1-5)."""
    from listclean.segmentation import RFM_GRID

    width = len(next(iter(RFM_GRID.values())))
    header = ("recency \\ F+M", *(str(score) for score in range(1, width + 1)))
    return table(header, [(str(recency), *names) for recency, names in sorted(RFM_GRID.items(), reverse=True)])


GENERATED: dict[str, Callable[[], str]] = {
    "column-aliases": column_aliases,
    "source-profiles": source_profiles,
    "reasons": reasons,
    "reason-meanings": reason_meanings,
    "platforms": platforms,
    "consent-model": consent_model,
    "exit-codes": exit_codes,
    "rfm-segments": rfm_segments,
}


# --- checked tables: hand-written prose, the registry's names


def dedupe_rules() -> list[str]:
    """Every decision a pair can get, in the README's order: the facts, then the weights."""
    from listclean.linkage.engine import APART, DECISIONS

    names = [*DECISIONS, *APART]
    order = ["same_address", "shared_address", "different_birth_dates", "labelled_match", "labelled_non_match", "probabilistic", "same_phone_and_name", "no_rule"]
    assert sorted(order) == sorted(names), names
    return order


def dedupe_keys() -> list[str]:
    from listclean.linkage.blocking import keys_for

    return [key.name for key in keys_for("fuzzy")]


def dedupe_comparisons() -> list[str]:
    from listclean.linkage.comparisons import COMPARISONS

    return [comparison.name for comparison in COMPARISONS]


def segment_operators() -> list[str]:
    from listclean.segmentation import OPERATORS

    return list(OPERATORS)


CHECKED: dict[str, Callable[[], list[str]]] = {
    "dedupe-rules": dedupe_rules,
    "dedupe-keys": dedupe_keys,
    "dedupe-comparisons": dedupe_comparisons,
    "segment-operators": segment_operators,
}


# --- README regions


def region_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- table:{re.escape(name)} -->\n)(.*?)(<!-- /table:{re.escape(name)} -->)", re.DOTALL)


def body(text: str) -> str:
    """What goes between the markers: the table with a blank line either side."""
    return f"\n{text}\n\n"


def region(readme: str, name: str) -> str:
    """The text between the README's markers for one table."""
    found = region_pattern(name).findall(readme)
    if len(found) != 1:
        raise SystemExit(f"README.md: expected one <!-- table:{name} --> … <!-- /table:{name} --> region, found {len(found)}")
    return found[0][1]


def first_column_names(text: str) -> list[str]:
    """The code spans in the first column of a table's rows (after the header and its rule)."""
    rows = [line for line in text.splitlines() if line.startswith("|")][2:]
    return [name for row in rows for name in re.findall(r"`([^`]+)`", row.split(" | ")[0])]


def render(name: str) -> str:
    return body(GENERATED[name]())


def stale(readme: str) -> dict[str, str]:
    """Table name -> what is wrong, for every table that differs from the code."""
    problems = {}
    for name in GENERATED:
        if region(readme, name) != render(name):
            problems[name] = "differs from the code"
    for name, names in CHECKED.items():
        expected, written = names(), first_column_names(region(readme, name))
        if written != expected:
            problems[name] = f"names {written} should be {expected} (edit this table by hand)"
    return problems


def write(readme: str) -> str:
    for name in GENERATED:
        region(readme, name)  # exactly one region each
        readme = region_pattern(name).sub(lambda match, name=name: match[1] + render(name) + match[3], readme)
    return readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the README's reference tables from the code.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="rewrite the generated tables in README.md")
    action.add_argument("--check", action="store_true", help="exit 1 when a table differs from the code (default)")
    parser.add_argument("--readme", type=Path, default=README, help="the README to check or rewrite (default: %(default)s)")
    args = parser.parse_args(argv)

    readme = args.readme.read_text(encoding="utf-8")
    if args.write:
        updated = write(readme)
        if updated != readme:
            args.readme.write_text(updated, encoding="utf-8")
    problems = stale(updated if args.write else readme)
    for name, problem in problems.items():
        print(f"{args.readme.name}: table '{name}' {problem}", file=sys.stderr)
    if problems and not args.write:
        print(f"run: python {Path(__file__).resolve().relative_to(ROOT)} --write", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
