"""Benchmark `dedupe`: quality against known truth, time and peak memory, in one run.

    python bench/bench_dedupe.py [ROWS] [EXACT_ROWS]     # defaults 1,000,000 and 10,000,000

Prints, for ROWS generated contacts with known duplicates (bench/people.py):
  - pairwise precision, recall and F1 of the fuzzy dedupe (targets: F1 >= 0.99, P >= 0.995);
  - time and peak memory of the fuzzy dedupe (targets: <= 5 minutes, <= 4 GB on 2 cores);
  - the same for `--match exact` and `--match canonical`;
and, for EXACT_ROWS rows (ROWS repeated), time and peak memory of `listclean dedupe --match exact`
(the command, which streams the list and dedupes it in parts); then the nightly job: 1 % new rows
deduplicated `--against` the golden list of the other 99 % (the command, which streams the master).
Each measurement runs in a child process, so its peak resident memory is its own.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from people import generate_people, pairwise_quality  # noqa: E402

CHILD = """
import json, resource, sys, time
import polars as pl
from listclean.linkage import DedupeOptions, dedupe
frame = pl.read_parquet(sys.argv[1])
start = time.perf_counter()
result = dedupe(frame.drop("person_id"), DedupeOptions(match=sys.argv[2]))
elapsed = time.perf_counter() - start
result.clusters.select("cluster_id").write_parquet(sys.argv[3])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak, "rows_out": result.report.rows_out, "pairs": result.report.pairs_compared}))
"""


def run(path: Path, match: str, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), match, str(out)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    exact_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        people = generate_people(rows)
        source = work / "people.parquet"
        people.write_parquet(source)
        print(f"{rows:,} rows of {people['person_id'].n_unique():,} people")
        for match in ("fuzzy", "canonical", "exact"):
            measured = run(source, match, work / "clusters.parquet")
            quality = pairwise_quality(people["person_id"], pl.read_parquet(work / "clusters.parquet")["cluster_id"])
            print(
                f"  {match:<9} {measured['seconds']:7.1f} s  peak {measured['peak_mb']:7,.0f} MB  "
                f"pairs {measured['pairs']:>11,}  precision {quality['precision']:.4f}  recall {quality['recall']:.4f}  F1 {quality['f1']:.4f}",
                flush=True,
            )
        if exact_rows:
            repeated = pl.concat([people] * max(1, exact_rows // rows)).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_source_row"))
            big = work / "big.parquet"
            repeated.write_parquet(big)
            del repeated
            # As a user runs it: the command streams the list and dedupes it in parts (bounded memory).
            command(f"listclean dedupe --match exact on {exact_rows:,} rows", ["dedupe", str(big), "--match", "exact", "-o", str(work / "golden_big.parquet")])
        # The nightly job: tonight's rows (1 % more, people partly already listed) against last night's golden list.
        tonight = max(1, rows // 100)
        people.head(rows - tonight).drop("person_id").write_parquet(work / "listed.parquet")
        people.tail(tonight).drop("person_id").write_parquet(work / "tonight.parquet")
        command(f"listclean dedupe of {rows - tonight:,} rows (the master)", ["dedupe", str(work / "listed.parquet"), "-o", str(work / "master.parquet")])
        command(
            f"listclean dedupe {tonight:,} new rows --against it",
            ["dedupe", str(work / "tonight.parquet"), "--against", str(work / "master.parquet"), "-o", str(work / "master2.parquet")],
        )
        print(f"  (this process: peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB)")


def command(label: str, args: list[str]) -> None:
    """Run listclean as a user would, in a child process; print its time and peak memory."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "listclean", "-q", *args], stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    error = process.stderr.read().decode(errors="replace").strip() if process.stderr else ""
    failed = "" if os.waitstatus_to_exitcode(status) == 0 else f"  FAILED: {error[:200]}"
    print(f"  {label}: {time.perf_counter() - start:.1f} s, peak {usage.ru_maxrss / 1024:,.0f} MB{failed}", flush=True)


if __name__ == "__main__":
    main()
