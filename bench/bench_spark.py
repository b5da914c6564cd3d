"""listclean's steps on Spark in local mode, next to the same step in one process, on the same file.

    python bench/bench_spark.py [ROWS] [--master local[2]] [--partitions N]   # default 1,000,000 rows

Generates bench_realistic.py's ESP-style export (30 % internationalised), imports it once with
the command line (listclean's Parquet), then times, each in its own process:

- `listclean validate` (one process, the default chunks);
- `listclean.spark.validate` in a Spark session of MASTER (default local[2]): read the Parquet,
  validate every partition, write a Parquet dataset; the JVM's start is timed apart.

Memory is the sum of the resident sizes of the process and everything it started (the JVM and
its Python workers), sampled every 50 ms: in local mode that is the driver and its one executor
together. The two outputs are compared row for row (sorted by provenance). Throughput per
partition (rows a second a core) is what a cluster estimate starts from: see the README's Spark
section.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

SPARK_JOB = """
import sys, time
started = time.perf_counter()
from listclean.spark import session, validate
spark = session(sys.argv[1], config={"spark.ui.enabled": "false"})
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
    import polars as pl

    from listclean.email.validate import with_alternates
    from listclean.schema import column_order

    one = with_alternates(pl.read_parquet(single))
    one = one.select(column_order(one.columns)).sort("_source_file", "_source_row")
    many = pl.read_parquet(spread / "*.parquet").sort("_source_file", "_source_row")
    many = many.with_columns(many[name].cast(dtype) for name, dtype in one.schema.items() if many.schema[name] != dtype)
    return many.select(one.columns).equals(one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=0, help="repartition the input to N partitions first (0: as Spark reads it)")
    options = parser.parse_args()

    from bench_realistic import write_export

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv, imported = work / "export.csv", work / "contacts.parquet"
        write_export(options.rows, str(csv), 0.3)
        subprocess.run([sys.executable, "-m", "listclean", "-q", "import", str(csv), "-o", str(imported)], check=True)
        print(f"{options.rows:,} rows of the realistic export (30 % internationalised), {imported.stat().st_size / 1e6:,.0f} MB Parquet")
        took, peak, _ = run("validate", [sys.executable, "-m", "listclean", "-q", "validate", str(imported), "-o", str(work / "single.parquet")])
        print(f"  listclean validate (one process)            {took:7.2f} s   peak {peak / 1e6:7,.0f} MB   {options.rows / took:10,.0f} rows/s")
        args = [sys.executable, "-c", SPARK_JOB, options.master, str(imported), str(work / "spark"), str(options.partitions)]
        took, peak, printed = run("spark", args)
        start, job, partitions = printed.split()[-3:]
        cores = int(options.master[6:-1]) if options.master.startswith("local[") and options.master[6:-1].isdigit() else 0
        per_core = f"   {options.rows / float(job) / cores:10,.0f} rows/s a core" if cores else ""
        print(f"  listclean.spark.validate ({options.master}, {partitions} partitions)  {took:7.2f} s   peak {peak / 1e6:7,.0f} MB"
              f"   (session start {float(start):.1f} s, job {float(job):.2f} s: {options.rows / float(job):,.0f} rows/s{per_core})")
        print(f"  same rows as the single process: {same_rows(work / 'single.parquet', work / 'spark')}")


if __name__ == "__main__":
    main()
