# Two entry points (see README): `make run` and `make test`. Both create .venv/ on first use.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench calibrate posterior check targets clean

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(sh scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/geese run scenarios/baseline.yaml

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py

calibrate: $(STAMP)
	$(VENV)/bin/geese calibrate

posterior: $(STAMP)
	nice -n 5 $(VENV)/bin/geese posterior --force --budget 200 --waves 3 --draws 200 --scale medium --seeds 4 --minutes 28

check: $(STAMP)
	$(VENV)/bin/geese check --scale medium

targets: $(STAMP)
	$(VENV)/bin/geese targets

clean:
	rm -rf $(VENV) build *.egg-info
