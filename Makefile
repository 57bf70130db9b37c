# One command to set up and run the main job, one to set up and run the tests.
#   make demo   - install into .venv, install the datasets, grade both assignments' examples
#   make test   - install into .venv, install the datasets, lint and run the whole test suite
#   make test-fast - the same setup, then only the fast tier (no training, no sandbox)
#   make ship   - write out/autograder.zip (Gradescope) and out/student-release/ (students)
# Offline, point DATA_FROM at a folder holding the original MNIST files
# (mnist/ and fashion-mnist/ subfolders); it defaults to ../shared/data when that exists.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DATA_FROM ?= $(wildcard ../shared/data)
DEMO_OUT ?= out/demo

.PHONY: setup system data demo ship test test-fast lint clean bench bench-quick

# Debian packages the sandbox (bubblewrap), the report's browser test (chromium) and the
# Gradescope test of the "uid" tier (a system Python 3.11 with venv, as Gradescope's image has:
# the sandbox uid cannot run an interpreter under /root) need: a command or file, and its package.
SYSTEM_NEEDS := bwrap:bubblewrap chromium:chromium \
	/usr/lib/python3.11/ensurepip/__init__.py:python3.11-venv

$(BIN)/grader: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(BIN)/grader

system:
	@missing=""; for pair in $(SYSTEM_NEEDS); do need=$${pair%%:*}; \
		[ -e "$$need" ] || command -v "$$need" >/dev/null || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "Install these Debian packages first: sudo apt-get install$$missing" >&2; exit 1; fi; \
	fi

data: setup
	$(BIN)/grader data $(if $(DATA_FROM),--from $(DATA_FROM))

demo: system data
	$(BIN)/grader grade assignment/examples student_template.py --out $(DEMO_OUT)
	$(BIN)/grader grade projects/fashion-mnist/examples projects/fashion-mnist/fashion_classifier.py \
		--assignment fashion --out $(DEMO_OUT)/fashion

ship: setup
	$(BIN)/grader export gradescope --out out/autograder.zip --force
	$(BIN)/grader release --out out/student-release --force

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The fast tier first (no training, no sandbox: under a minute), then everything else.
test-fast: data lint
	$(BIN)/grader template --check --assignment perceptron
	$(BIN)/grader template --check --assignment fashion
	$(BIN)/python -m pytest -m "not slow"

# The slow tier runs in two pytest workers, a test module per worker at a time (see conftest.py),
# and prints its 30 slowest steps: the figures the suite's speed work starts from.
test: system test-fast
	$(BIN)/python -m pytest -m slow -n 2 --durations=30

# Benchmarks print figures (ratios against the bare cost, measured in the same run); they never
# fail on time. `bench` rewrites BENCHMARKS.md (about 40 minutes); `bench-quick` is CI's form.
bench: data
	$(BIN)/python benchmarks/run.py

bench-quick: data
	$(BIN)/python benchmarks/run.py --quick --out -

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
