"""Benchmark `decay-report` on ROWS contacts (default 1,000,000), with a plain Parquet read as baseline.

    python bench/bench_decay.py [ROWS]

The list is the test suite's known-history list (tests/decay/listdata.py) repeated to ROWS
rows, already validated (email_status present), so the report's own work is measured.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "decay"))
from listdata import AS_OF, history_list  # noqa: E402


def main() -> None:
    from listclean.decay import DecayOptions, decay_report
    from listclean.decay_html import render_html

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    base = history_list().with_columns(pl.lit("valid").alias("email_status"))
    frame = pl.concat([base] * (rows // base.height + 1)).head(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.parquet"
        frame.write_parquet(path)
        start = time.perf_counter()
        loaded = pl.read_parquet(path)
        read = time.perf_counter() - start
        start = time.perf_counter()
        report, candidates = decay_report(loaded, DecayOptions(as_of=AS_OF))
        measured = time.perf_counter() - start
        start = time.perf_counter()
        render_html(report.as_dict())
        html = time.perf_counter() - start
    print(f"{rows:,} rows: read {read:.2f} s (baseline); decay report {measured:.2f} s; HTML {html:.3f} s; {candidates.height:,} sunset candidates")


if __name__ == "__main__":
    main()
