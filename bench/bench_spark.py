"""listclean's steps on Spark in local mode, next to the same step in one process, on the same files.

    python bench/bench_spark.py [ROWS] [--master local[2]] [--partitions N] [--files N] [--conf KEY=VALUE ...] [--steps import,validate,dedupe]

Generates bench_realistic.py's ESP-style export (30 % internationalised), split into FILES (default
8) CSV files, then times, each in its own process, the single machine's command and the same step
on Spark in a session of MASTER (default local[2]):

- import: `listclean import` of the files, and `listclean.spark.job import` (a task per file);
- validate: `listclean validate` of the imported Parquet, and `listclean.spark.validate` (read the
  Parquet, validate every partition, write a Parquet dataset; the JVM's start timed apart);
- dedupe: `listclean dedupe --match canonical` of the validated Parquet, and `listclean.spark.job
  dedupe --match canonical` (keys, connected components, parts through applyInArrow).

Memory is the sum of the resident sizes of the process and everything it started (the JVM and
its Python workers), sampled every 50 ms: in local mode that is the driver and its one executor
together. Each pair of outputs is compared row for row (sorted by provenance). Throughput per
partition (rows a second a core) is what a cluster estimate starts from: see the README's Spark
section.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

SPARK_JOB = """
import json, sys, time
started = time.perf_counter()
from listclean.spark import session, validate
spark = session(sys.argv[1], config={"spark.ui.enabled": "false", **json.loads(sys.argv[5])})
spark.sparkContext.setLogLevel("ERROR")
ready = time.perf_counter()
frame = spark.read.parquet(sys.argv[2])
if int(sys.argv[4]):
    frame = frame.repartition(int(sys.argv[4]))
validate(frame).write.mode("overwrite").parquet(sys.argv[3])
done = time.perf_counter()
print(f"{ready - started:.2f} {done - ready:.2f} {frame.rdd.getNumPartitions()}")
"""


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def run(label: str, args: list[str]) -> tuple[float, int, str]:
    """A command's wall time, the peak of its process tree's memory, and what it printed."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    sampler.join()
    elapsed = time.perf_counter() - start
    if process.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({process.returncode}): {err.strip()[-500:]}")
    return elapsed, peak, out


def same_rows(single: Path, spread: Path) -> bool:
    """Whether the two outputs hold the same rows (sorted by provenance): compared by a hash of
    each row's values, read lazily, so that 10M rows of 40 columns fit in memory twice over."""
    import polars as pl

    from listclean.email.validate import with_alternates

    one, many = pl.scan_parquet(single), pl.scan_parquet(spread / "*.parquet")
    one_schema, many_schema = one.collect_schema(), many.collect_schema()
    if "email_alternates" in many_schema and "email_alternates" not in one_schema:  # always a column on Spark (see the README)
        one = with_alternates(one.collect()).lazy()
        one_schema = one.collect_schema()
    if set(many_schema.names()) != set(one_schema.names()):
        return False
    many = many.with_columns(pl.col(name).cast(dtype) for name, dtype in one_schema.items() if many_schema[name] != dtype)

    def hashed(frame: pl.LazyFrame) -> pl.DataFrame:
        row = pl.struct(one_schema.names()).hash(seed=7).alias("row")
        return frame.select("_source_file", "_source_row", row).collect().sort("_source_file", "_source_row")

    return hashed(one).equals(hashed(many))


def split_export(csv: Path, files: int, folder: Path) -> list[str]:
    """The export as `files` CSV files of about equal rows, each with the header."""
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    size = -(-len(rows) // files)
    folder.mkdir()
    paths = []
    for number in range(files):
        path = folder / f"export-{number:02d}.csv"
        path.write_text(header + "".join(rows[number * size : (number + 1) * size]), encoding="utf-8")
        paths.append(str(path))
    return paths


def line(label: str, took: float, peak: int, rows: int, extra: str = "") -> None:
    print(f"  {label:<52} {took:7.2f} s   peak {peak / 1e6:7,.0f} MB   {rows / took:10,.0f} rows/s{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=0, help="repartition the input to N partitions first (0: as Spark reads it)")
    parser.add_argument("--files", type=int, default=8, help="CSV files the export is split into (import on Spark: a task per file)")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting for every Spark run (e.g. spark.driver.memory=8g)")
    parser.add_argument("--steps", default="import,validate,dedupe", help="the steps whose Spark run is timed (one machine's always runs: it makes the next step's input)")
    options = parser.parse_args()

    from bench_realistic import write_export

    cli = [sys.executable, "-m", "listclean", "-q"]
    conf = [f"--conf={pair}" for pair in options.conf]
    job = [sys.executable, "-m", "listclean.spark.job"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv = work / "export.csv"
        write_export(options.rows, str(csv), 0.3)
        files = split_export(csv, options.files, work / "exports")
        print(f"{options.rows:,} rows of the realistic export (30 % internationalised) in {options.files} CSV files; Spark: {options.master} {' '.join(options.conf)}")

        imported, spark_imported = work / "contacts.parquet", work / "spark-contacts"
        took, peak, _ = run("import", [*cli, "import", *files, "-o", str(imported)])
        line("listclean import (one process)", took, peak, options.rows)
        if "import" in options.steps:
            took, peak, _ = run("spark import", [*job, "import", *files, "--output", str(spark_imported), "--master", options.master, *conf])
            line("listclean.spark.job import (session start included)", took, peak, options.rows)
            print(f"    same rows as the single process: {same_rows(imported, spark_imported)}")

        validated = work / "single.parquet"
        took, peak, _ = run("validate", [*cli, "validate", str(imported), "-o", str(validated)])
        line("listclean validate (one process)", took, peak, options.rows)
        if "validate" in options.steps:
            args = [sys.executable, "-c", SPARK_JOB, options.master, str(imported), str(work / "spark"), str(options.partitions), json.dumps(dict(pair.split("=", 1) for pair in options.conf))]
            took, peak, printed = run("spark", args)
            start, spent, partitions = printed.split()[-3:]
            cores = int(options.master[6:-1]) if options.master.startswith("local[") and options.master[6:-1].isdigit() else 0
            per_core = f", {options.rows / float(spent) / cores:,.0f} a core" if cores else ""
            line(f"listclean.spark.validate ({partitions} partitions)", took, peak, options.rows, f"   (session start {float(start):.1f} s, job {float(spent):.2f} s: {options.rows / float(spent):,.0f} rows/s{per_core})")
            print(f"    same rows as the single process: {same_rows(validated, work / 'spark')}")

        golden, spark_golden = work / "golden.parquet", work / "spark-golden"
        took, peak, _ = run("dedupe", [*cli, "dedupe", str(validated), "-o", str(golden), "--match", "canonical"])
        line("listclean dedupe --match canonical (one process)", took, peak, options.rows)
        if "dedupe" in options.steps:
            took, peak, printed = run("spark dedupe", [*job, "dedupe", str(validated), str(spark_golden), "--match", "canonical", "--master", options.master, *conf])
            parts = json.loads(printed.strip().splitlines()[-1])["parts"]
            line(f"listclean.spark.job dedupe ({parts} parts, session start included)", took, peak, options.rows)
            print(f"    same golden records as the single process: {same_rows(golden, spark_golden)}")

if __name__ == "__main__":
    main()
