# Benchmarks run on demand, never in the test suite.
PYTHON ?= .venv/bin/python
ROWS ?= 1000000

.PHONY: bench bench-10m test
bench:
	$(PYTHON) bench/bench_all.py $(ROWS)
	$(PYTHON) bench/bench_validate.py $(ROWS)
	$(PYTHON) bench/bench_dedupe.py $(ROWS)
	$(PYTHON) bench/bench_decay.py $(ROWS)

# The streaming target: a 10M-row export through import, validate, exact dedupe and export.
bench-10m:
	$(PYTHON) bench/bench_all.py 10000000

test:
	$(PYTHON) -m pytest
