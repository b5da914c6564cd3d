"""Benchmark `validate` against its baselines, all measured in the same run.

    python bench/bench_validate.py [ROWS]        # default 1,000,000

Prints, for ROWS generated realistic contacts (bench/generate.py):
  - a per-row email-validator loop over the email column (the naive way)    vs  listclean's judge_syntax
    and the whole library validate step on the same rows;
  - a plain Polars CSV -> Parquet copy of the file (the floor for any tool)  vs  `listclean validate`
    end to end on the raw CSV, and on listclean's own (imported) Parquet.
Peak memory is the child process's maximum resident set size.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402

LISTCLEAN = [sys.executable, "-m", "listclean", "-q"]


def timed(label: str, function) -> float:
    start = time.perf_counter()
    function()
    elapsed = time.perf_counter() - start
    print(f"  {label:<58} {elapsed:8.2f} s", flush=True)
    return elapsed


def run_process(label: str, args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(args, check=True)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mb = max(peak, before) / 1024
    print(f"  {label:<58} {elapsed:8.2f} s   peak {peak_mb:,.0f} MB (max of children so far)", flush=True)
    return elapsed, peak_mb


def per_row_email_validator(emails: list[str | None]) -> None:
    from email_validator import EmailNotValidError, validate_email

    for email in emails:
        if email is None:
            continue
        try:
            validate_email(email.strip(), check_deliverability=False)
        except EmailNotValidError:
            pass


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv = work / "contacts.csv"
        generate(rows).write_csv(csv)
        print(f"{rows:,} rows, {csv.stat().st_size / 1e6:,.0f} MB CSV")

        print("syntax: per-row loop vs listclean")
        emails = pl.read_csv(csv, infer_schema=False, columns=["Email Address"]).to_series()
        from listclean.email.syntax import judge_syntax
        from listclean.email.validate import validate

        loop = timed("email-validator, once per row (baseline)", lambda: per_row_email_validator(emails.to_list()))
        judge = timed("listclean judge_syntax (same verdicts)", lambda: judge_syntax(emails.str.strip_chars()))
        full = timed("listclean validate step (all checks, library)", lambda: validate(pl.DataFrame({"email": emails})))
        print(f"  -> judge_syntax {loop / judge:.1f}x faster; whole validate step {loop / full:.1f}x faster (target >= 10x)")

        print("end to end: plain copy vs listclean validate")
        copy = timed("polars scan_csv -> sink_parquet (baseline)", lambda: pl.scan_csv(csv, infer_schema=False).sink_parquet(work / "copy.parquet"))
        raw, _ = run_process("listclean validate raw.csv -o out.parquet", [*LISTCLEAN, "validate", str(csv), "-o", str(work / "v1.parquet")])
        imported, _ = run_process("listclean import raw.csv -o imported.parquet", [*LISTCLEAN, "import", str(csv), "-o", str(work / "imported.parquet")])
        own, _ = run_process("listclean validate imported.parquet -o out.parquet", [*LISTCLEAN, "validate", str(work / "imported.parquet"), "-o", str(work / "v2.parquet")])
        print(f"  -> validate raw CSV: {raw / copy:.1f}x the copy; validate imported Parquet: {own / copy:.1f}x the copy (target <= 3x)")
        # Where the raw CSV's time goes: reading, mapping and standardising every field is import's work.
        print(f"  -> import alone (read, map, standardise every field, write): {imported / copy:.1f}x the copy")


if __name__ == "__main__":
    main()
