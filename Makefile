# 智慧党建平台 — the two commands: `make run` (install, migrate, demo data, serve) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run install setup serve test lint fmt messages lock clean browsers

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

# Everything CI checks: lint, formatting, migrations, the production deploy check, the test suite.
# Runs on the embedded default; set DATABASE_URL and REDIS_URL to run it on PostgreSQL + Redis.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=ci-deploy-check-$$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	  ALLOWED_HOSTS=example.org $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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
