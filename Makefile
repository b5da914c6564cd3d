# Benchmarks run on demand, never in the test suite.
PYTHON ?= .venv/bin/python
ROWS ?= 1000000

.PHONY: bench test
bench:
	$(PYTHON) bench/bench_all.py $(ROWS)
	$(PYTHON) bench/bench_validate.py $(ROWS)
	$(PYTHON) bench/bench_dedupe.py $(ROWS)
	$(PYTHON) bench/bench_decay.py $(ROWS)

test:
	$(PYTHON) -m pytest
