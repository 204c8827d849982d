# 智慧党建平台 — the two commands: `make run` (install, migrate, demo data, serve) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run install setup serve test system-check lint fmt messages lock clean

run: setup serve

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

setup: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v0

serve:
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# The browser tests drive the system Chromium (CHROMIUM=/path overrides) with a Chinese font; the
# catalogue test runs GNU gettext; the proxy test starts nginx with deploy/nginx/dangjian.conf.
# Missing ones stop `make test` with one line saying what to install.
CHROMIUM ?= $(or $(wildcard /usr/bin/chromium),$(shell command -v chromium 2>/dev/null),/usr/bin/chromium)
export CHROMIUM

# Everything CI checks: lint, formatting, migrations, the production deploy check, the test suite.
# Runs on the embedded default; set DATABASE_URL and REDIS_URL to run it on PostgreSQL + Redis.
# pytest's defaults (parallel workers, per-test timeout) are in pyproject.toml; PYTEST_ARGS adds to them.
test: install system-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=ci-deploy-check-$$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	  FIELD_ENCRYPTION_KEY=$$($(BIN)/python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())') \
	  ALLOWED_HOSTS=example.org $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python -m pytest $(PYTEST_ARGS)

system-check:
	@missing=""; \
	test -x "$(CHROMIUM)" || missing="$$missing chromium"; \
	{ fc-list :lang=zh 2>/dev/null | grep -q . || ls /usr/share/fonts/*/*/*CJK* >/dev/null 2>&1; } || missing="$$missing fonts-noto-cjk"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	{ command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx; } || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  echo "make test needs system packages it cannot install itself: apt-get install$$missing (or set CHROMIUM=/path/to/chromium)" >&2; \
	  exit 1; \
	fi

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Needs GNU gettext (xgettext, msgfmt); the compiled catalogues are committed.
messages:
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore='tests/*'
	$(BIN)/python manage.py compilemessages --ignore=.venv

lock:
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock.new
	@( echo '# Exact versions of every package (runtime and test), installed by `make install`.'; \
	   echo '# Regenerate after changing pyproject.toml: `make lock`.'; cat requirements.lock.new ) > requirements.lock
	@rm requirements.lock.new

clean:
	rm -rf var/static var/cache
