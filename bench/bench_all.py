"""Every command end to end on one generated file, next to a baseline, in one run.

    python bench/bench_all.py [ROWS]          # default 1,000,000; 10000000 for the streaming target

Generates ROWS messy contacts with known duplicates (bench/people.py rendered as a raw
export: mixed case, spaces, national phone formats, several date formats, a few languages),
then times each command as a user runs it (a child process each, so the peak memory is its
own) against the floor: a plain Polars CSV -> Parquet copy of the same file. Also measures
start-up (`--version`, `--help`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

LISTCLEAN = [sys.executable, "-m", "listclean", "-q"]


BLOCK = 1_000_000  # people are generated a million rows at a time, so 10M rows fit in memory


def write_export(rows: int, path: str) -> None:
    """The export as one CSV, written a block at a time (each block its own people and duplicates)."""
    with open(path, "wb") as handle:
        for number, start in enumerate(range(0, rows, BLOCK)):
            raw_export(min(BLOCK, rows - start), seed=424242 + number).write_csv(handle, include_header=number == 0)


def raw_export(rows: int, seed: int = 424242):  # -> pl.DataFrame (Polars is imported only where the data is made)
    """The generated people as a CRM export would hold them: text, mixed formats, another header language."""
    import polars as pl

    from people import generate_people

    people = generate_people(rows, seed=seed)
    day = pl.col("signup_at")
    return people.select(
        pl.when(pl.col("person_id") % 7 == 0).then(pl.concat_str(pl.lit(" "), pl.col("email"), pl.lit(" "))).otherwise(pl.col("email")).alias("E-Mail"),
        pl.col("first_name").alias("Vorname"),
        pl.col("last_name").alias("Nachname"),
        pl.when(pl.col("person_id") % 3 == 0).then(pl.col("phone").str.replace(r"^\+48", "0048 ")).otherwise(pl.col("phone")).alias("Telefon"),
        pl.col("company").alias("Firma"),
        pl.col("city").alias("Ort"),
        pl.col("country").alias("Land"),
        pl.col("postal_code").alias("PLZ"),
        pl.when(pl.col("person_id") % 2 == 0).then(day.dt.strftime("%d.%m.%Y")).otherwise(day.dt.strftime("%Y-%m-%d")).alias("Anmeldedatum"),
        pl.col("consent_status").alias("Status"),
        pl.col("purchase_count").cast(pl.String).alias("Bestellungen"),
    )


def child(label: str, args: list[str], baseline: float | None, repeat: int = 1) -> float:
    """Run one command; its own wall time and peak resident memory (wait4 on that child).
    With `repeat`, a run shorter than 20 s is made that many times and the best time reported
    (this shared machine's noise is a quarter of a few-second run); the peak is the highest."""
    times, peak, failed = [], 0, ""
    for _ in range(repeat):
        start = time.perf_counter()
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        times.append(time.perf_counter() - start)
        peak = max(peak, usage.ru_maxrss)
        code = os.waitstatus_to_exitcode(status)
        error = process.stderr.read().decode(errors="replace").strip() if process.stderr else ""
        failed = failed or ("" if code in (0, 1) else f"  FAILED ({code}): {error[:120]}")
        if times[0] >= 20:
            break
    elapsed = min(times)
    ratio = f"{elapsed / baseline:6.1f}x" if baseline else "  base"
    runs = f"  (best of {len(times)})" if len(times) > 1 else ""
    print(f"  {label:<44} {elapsed:8.2f} s  {ratio}   peak {peak / 1024:7,.0f} MB{failed}{runs}", flush=True)
    return elapsed


def generate(call: str) -> None:
    """Run `call` (an import and a call of a bench module's generator) in a child process: on
    Linux a child's peak-memory counter starts from its parent's, so the parent must stay small
    for the per-command peaks to mean anything."""
    script = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); {call}"
    subprocess.run([sys.executable, "-c", script], check=True)


def copy_baseline(csv: Path, work: Path, repeat: int = 1) -> float:
    """The floor every step is measured against: a plain Polars CSV -> Parquet copy of the same file."""
    copy = [sys.executable, "-c", f"import polars as pl; pl.scan_csv({str(csv)!r}, infer_schema=False).sink_parquet({str(work / 'copy.parquet')!r})"]
    return child("baseline: Polars scan_csv -> sink_parquet", copy, None, repeat)


def startup() -> None:
    for flag in ("--version", "--help"):
        best = min(_time([sys.executable, "-m", "listclean", flag]) for _ in range(5))
        print(f"  listclean {flag:<34} {best * 1000:8.0f} ms (best of 5)")


def _time(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv = work / "export.csv"
        generate(f"from bench_all import write_export; write_export({rows}, {str(csv)!r})")
        print(f"{rows:,} rows, {csv.stat().st_size / 1e6:,.0f} MB CSV")
        base = copy_baseline(csv, work)
        child("import", [*LISTCLEAN, "import", str(csv), "-o", str(work / "contacts.parquet")], base)
        child("validate (own Parquet)", [*LISTCLEAN, "validate", str(work / "contacts.parquet"), "-o", str(work / "validated.parquet")], base)
        child("dedupe --match exact", [*LISTCLEAN, "dedupe", str(work / "validated.parquet"), "--match", "exact", "-o", str(work / "exact.parquet")], base)
        child("export --to mailchimp (exact-deduped)", [*LISTCLEAN, "export", str(work / "exact.parquet"), "--to", "mailchimp", "-o", str(work / "mailchimp.csv")], base)
        child("dedupe (fuzzy)", [*LISTCLEAN, "dedupe", str(work / "validated.parquet"), "-o", str(work / "golden.parquet")], base)
        golden = work / "golden.parquet"
        child("segment --rfm --lifecycle", [*LISTCLEAN, "segment", str(golden), "--rfm", "--lifecycle", "-o", str(work / "segmented.parquet")], base)
        child("export --to mailchimp (segmented)", [*LISTCLEAN, "export", str(work / "segmented.parquet"), "--to", "mailchimp", "-o", str(work / "segmented.csv")], base)
        child("decay-report --html", [*LISTCLEAN, "decay-report", str(golden), "--html", str(work / "decay.html")], base)
    print("start-up:")
    startup()


if __name__ == "__main__":
    main()
