# The two commands of the README:  `make run`  and  `make test`.
# Both create a virtualenv inside the project (.venv) and install what they need into it.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: install run test lint messages browser vendor-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Run the platform: migrate, load demo data, serve on http://127.0.0.1:8000 with periodic jobs.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py serve 127.0.0.1:8000

## Run the whole test suite (SQLite unless DATABASE_URL is set).
test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## Debian's Chromium for the browser tests (they skip, saying so, without it). Needs root.
browser:
	command -v chromium >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## Refresh and compile the Vietnamese and English catalogues (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages -l vi -l en --no-obsolete \
	  --ignore "*/migrations/*" --ignore ".venv/*" --ignore "var/*" --ignore "tests/*" \
	  --ignore "bench/*" && $(PY) manage.py compilemessages --ignore ".venv/*"

# The vendored front-end code must be byte-for-byte the registry's release (import path aside).
vendor-check:
	rm -rf var/vendor-check && mkdir -p var/vendor-check && cp package.json package-lock.json var/vendor-check/
	cd var/vendor-check && npm ci --ignore-scripts --no-audit --no-fund >/dev/null
	sed "s#from 'shamir-secret-sharing/csprng'#from './csprng.js'#" var/vendor-check/node_modules/shamir-secret-sharing/esm/index.js | grep -v sourceMappingURL | diff - procurement/static/vendor/shamir-secret-sharing/index.js
	grep -v sourceMappingURL var/vendor-check/node_modules/shamir-secret-sharing/esm/csprng.js | diff - procurement/static/vendor/shamir-secret-sharing/csprng.js
	@echo "vendored front-end code matches the registry"
