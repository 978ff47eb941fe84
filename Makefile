# The two commands: `make demo` (set up + a real end-to-end run) and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY      = $(VENV)/bin/python
DEMO_CONFIG = configs/demo/point-robot.json
DEMO_RUNS   = output/point-robot/demo

.PHONY: demo test test-fast lint install benchmark reproduce clean-demo

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: expected Python 3.11 (set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The tests also exercise the optional Ray extra (scale-out); the demo does not need it.
$(VENV)/.installed-ray: $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -e '.[test,ray]'
	touch $@

demo: $(VENV)/.installed
	@echo "== stage 1: behaviour SAC for 40 point-robot tasks -> offline_dataset/point-robot-demo"
	$(PY) policy_train.py --config $(DEMO_CONFIG) --sac_config demo_point
	@echo "== stage 2+3: CSRO meta-training, meta-test on the 10 held-out tasks -> $(DEMO_RUNS)"
	$(PY) launch_experiment.py $(DEMO_CONFIG) --seed 0 --exp_name demo
	$(PY) -m rlkit.plot $(DEMO_RUNS)
	$(PY) -m rlkit.report $(DEMO_RUNS) --last 3 --against docs/results/point-robot-demo-seeds.json
	@$(PY) -m rlkit.budget $(DEMO_CONFIG)

# The paper's point-robot experiments (Table 1, Fig. 3, Table 2, Fig. 4) at the demo profile, 8 methods x 3 seeds,
# two runs at a time -> docs/results/point-robot-demo.md. Resumable: rerun to continue.
reproduce: $(VENV)/.installed
	$(PY) -m rlkit.reproduce point-robot --profile demo --seeds 0,1,2 --jobs 2

# Formatting and lint first (seconds), then every test, one pytest-xdist worker per core, each on one thread
# (two 2-thread workers on 2 cores oversubscribe them); `$(PY) -m pytest` alone runs them in one process.
PYTEST_PARALLEL = -n auto
test: $(VENV)/.installed-ray lint
	OMP_NUM_THREADS=1 $(PY) -m pytest $(PYTEST_PARALLEL)

# The tests without a subprocess, Ray or a whole-family run (tests marked slow): about 4 minutes on 2 cores.
test-fast: $(VENV)/.installed lint
	OMP_NUM_THREADS=1 $(PY) -m pytest $(PYTEST_PARALLEL) -m "not slow"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

benchmark: $(VENV)/.installed
	$(PY) benchmarks/meta_train_speed.py
	$(PY) benchmarks/env_speed.py

clean-demo:
	rm -rf offline_dataset/point-robot-demo $(DEMO_RUNS)
