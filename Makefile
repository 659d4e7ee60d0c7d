# Two commands on a fresh machine:
#   make run    set up, migrate, load the demo, start console + Celery worker + beat
#   make test   set up and run the whole test suite (PostgreSQL + Redis on 127.0.0.1)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/canary
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: setup system-deps vendor run test lint bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

# Debian packages the product and its tests use: a CJK font for labels, Chromium for the
# console tests, poppler for looking at PDFs, wrk for the webhook benchmark. Installed only when
# missing (needs root).
system-deps:
	@missing=""; \
	for p in fonts-wqy-microhei chromium poppler-utils libgl1 libglib2.0-0 wrk; do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
	    || echo "warning: could not install$$missing (labels fall back to a built-in font; browser tests skip)"; \
	fi

# Front-end libraries (htmx, Apache ECharts) come from the npm registry (package-lock.json) into
# our static files with their licences; the copies are committed, so running the product needs no npm.
vendor:
	npm ci --no-audit --no-fund --ignore-scripts
	cp node_modules/htmx.org/dist/htmx.min.js canary/console/static/console/vendor/htmx.min.js
	cp node_modules/htmx.org/LICENSE canary/console/static/console/vendor/htmx.LICENSE
	cp node_modules/echarts/dist/echarts.min.js canary/console/static/console/vendor/echarts.min.js
	cp node_modules/echarts/LICENSE canary/console/static/console/vendor/echarts.LICENSE
	cp node_modules/echarts/NOTICE canary/console/static/console/vendor/echarts.NOTICE

run: setup system-deps
	@# Without a broker the console runs alone and tasks run in-process (canary.broker_check says so).
	if $(BIN)/python -m canary.broker_check; then processes=""; eager=false; else processes="web demo"; eager=true; fi; \
	export CELERY_TASK_ALWAYS_EAGER=$${CELERY_TASK_ALWAYS_EAGER:-$$eager}; \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py collectstatic --noinput -v0 && \
	$(BIN)/python manage.py load_demo && \
	echo "" && \
	echo "Console: http://$(HOST):$(PORT)/   (log in with the administrator printed above)" && \
	echo "" && \
	echo "The demo process plays a leak at depot D-HZ-XH; play another: $(BIN)/python manage.py simulate_leak --campaign demo-depots --node CODE" && \
	HOST=$(HOST) PORT=$(PORT) PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} \
	TWILIO_AUTH_TOKEN=$${TWILIO_AUTH_TOKEN:-$$(cat $${CANARY_VAR_DIR:-var}/demo-twilio-auth-token)} \
	EMAIL_BACKEND=$${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend} \
	$(BIN)/honcho start -f Procfile $$processes

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup system-deps lint
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_REDIS_URL)} \
	$(BIN)/pytest -n 2 --dist loadgroup

bench: setup system-deps
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
