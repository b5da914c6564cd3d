# Benchmarks run on demand, never in the test suite.
PYTHON ?= .venv/bin/python
ROWS ?= 1000000

.PHONY: bench bench-10m bench-spark bench-realistic bench-linkage bench-linkage-quick bench-linkage-speed test
bench:
	$(PYTHON) bench/bench_all.py $(ROWS)
	$(PYTHON) bench/bench_realistic.py $(ROWS)
	$(PYTHON) bench/bench_validate.py $(ROWS)
	$(PYTHON) bench/bench_dedupe.py $(ROWS)
	$(PYTHON) bench/bench_decay.py $(ROWS)

# An ESP-style export (five timestamp columns, 25 % internationalised addresses) through import and
# validate, next to a Polars copy and per-row email-validator / emval loops (emval: the bench extra).
bench-realistic:
	$(PYTHON) bench/bench_realistic.py $(ROWS)

# The streaming target: a 10M-row export through import, validate, exact dedupe and export.
bench-10m:
	$(PYTHON) bench/bench_all.py 10000000

# Dedupe quality on public labelled data (FEBRL 3/4, common names) next to Splink and recordlinkage.
# Needs the bench extra: .venv/bin/pip install -e '.[bench]'
bench-linkage:
	$(PYTHON) bench/bench_linkage.py

bench-linkage-quick:
	$(PYTHON) bench/bench_linkage.py --quick

# Speed only: listclean (defaults) vs Splink 4 on bench/people.py's 100k-row export (target: listclean >= 10x faster).
bench-linkage-speed:
	$(PYTHON) bench/bench_linkage.py --datasets people --people 100000 --tools listclean,splink --json bench/data/linkage/speed.json

test:
	$(PYTHON) -m pytest

# listclean.spark in local mode next to the single process (needs the spark extra and Java 17).
bench-spark:
	$(PYTHON) bench/bench_spark.py $(ROWS)
