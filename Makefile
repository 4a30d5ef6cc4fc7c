# Casebase: `make run` starts the app on the bundled sample, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# 127.0.0.1 unless ADDRESS=... or CASEBASE_ADDRESS (environment or .env) says otherwise;
# the app refuses a network address without a sign-in (README, "Privacy and sign-in").
ADDRESS ?= $(shell $(PY) -c 'from knowledge.settings import Settings; print(Settings().address)' 2>/dev/null || echo 127.0.0.1)

.PHONY: run test eval fit bench venv browser ingest clean

# requirements.txt pins every version (runtime and dev tools); the project itself is then
# installed editable with its dev extra, constrained to those pins (nothing new is resolved).
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet -e '.[dev]' -c requirements.txt
	touch $@

venv: $(VENV)/.installed

ingest: venv
	$(PY) -m ingest --if-empty

run: venv ingest
	$(PY) -m streamlit run app.py --server.address $(ADDRESS) --server.port $(PORT)

# Debian's Chromium for the browser test (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: venv browser
	CASEBASE_REQUIRE_BROWSER=1 $(PY) -m pytest -q

eval: venv
	$(PY) -m eval.run --cv --alone
	$(PY) -m eval.run --heldout --alone
	$(PY) -m eval.run --heldout2 --alone
	$(PY) -m eval.themes --cv
	$(PY) -m eval.themes --heldout
	$(PY) -m eval.themes --heldout2
	$(PY) -m eval.codings

# refit the relevance model on the labelled eval set (writes knowledge/relevance_model.json).
# The hash embedder is for tests only: a bag of words, whose threshold only balances precision and coverage.
fit: venv
	$(PY) -m eval.fit
	$(PY) -m eval.fit --embedder hash --refusal 0.0 --no-per-language

bench: venv
	$(PY) -m bench.run
	$(PY) -m bench.matrix

clean:
	rm -rf .casebase tests/artifacts bench/results/*.json
