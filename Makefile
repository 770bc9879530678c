# The two commands a newcomer types: `make demo` and `make test`.
# Every target is idempotent: a stamp file records what is already installed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: install install-runtime system-deps demo test test-fast bench bench-anchors lint clean

$(VENV)/.stamp-venv:
	$(PYTHON) -m venv $(VENV)
	@touch $@

# torch first, pinned: the CPU wheel lies on disk; an unpinned torch pulls a CUDA build.
$(VENV)/.stamp-torch: $(VENV)/.stamp-venv
	$(PIP) install -q "torch==2.13.0"
	@touch $@

# What `make demo` needs: cnnkit, matplotlib (the report's pictures) and the web
# page's server (`cnnkit serve`, printed at the end), nothing else.
# torch named again: pip then refuses any dependency that would replace the CPU build.
$(VENV)/.stamp-runtime: $(VENV)/.stamp-torch pyproject.toml
	$(PIP) install -q -e ".[viz,web]" "torch==2.13.0"
	@touch $@

# What `make test`, `make lint` and `make bench` need on top: pytest, the oracles
# (Keras 3, ONNX Runtime, Captum), ruff, mypy, Playwright.
$(VENV)/.stamp-package: $(VENV)/.stamp-runtime pyproject.toml
	$(PIP) install -q -e ".[dev,viz,web]" "torch==2.13.0"
	@touch $@

# pytorch-grad-cam, a test oracle of cnnkit.explain, without its dependencies: it
# requires torchvision, and the index's torchvision wheels are CUDA builds (an
# unpinned one also replaces torch with a CUDA build). Its other dependencies are in
# the dev extra; tests/explain/conftest.py stands in for the torchvision names it
# imports but never uses for Grad-CAM.
$(VENV)/.stamp-grad-cam: $(VENV)/.stamp-package
	$(PIP) install -q --no-deps "grad-cam==1.5.7"
	@touch $@

# Debian packages: Fashion-MNIST (an offline dataset source) and chromium (the
# browser tests drive it with Playwright; nothing downloads a browser). Each is
# skipped when present; nothing is installed when not root.
DEBIAN_PACKAGES := dataset-fashion-mnist:/usr/share/datasets/fashion-mnist chromium:/usr/bin/chromium graphviz:/usr/bin/dot

system-deps:
	@missing=""; for entry in $(DEBIAN_PACKAGES); do \
	  [ -e "$${entry#*:}" ] || missing="$$missing $${entry%%:*}"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian packages:$$missing"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1)) || \
	  echo "note: could not install$$missing; Fashion-MNIST uses other sources, browser and plot_model image tests skip"; \
	else echo "note: not root, skipping Debian packages:$$missing"; fi

install: $(VENV)/.stamp-package $(VENV)/.stamp-grad-cam system-deps

install-runtime: $(VENV)/.stamp-runtime

demo: install-runtime
	$(VENV)/bin/cnnkit train --name demo
	$(VENV)/bin/cnnkit report runs/demo/model.keras --data mnist --out runs/demo/report.html
	@echo
	@echo "Next steps (README: 'After make demo'):"
	@echo "  open runs/demo/report.html in a browser: what the network learned"
	@echo "  .venv/bin/cnnkit predict runs/demo/model.keras examples/digits/*"
	@echo "  .venv/bin/cnnkit serve    then open http://127.0.0.1:8000/ : draw digits,"
	@echo "                            read a whole number, see every layer"
	@echo "  (or 'source .venv/bin/activate' once, then plain 'cnnkit ...')"

test: install
	$(PY) -m pytest -q -m "not gpu and not network" -p no:cacheprovider

test-fast: install
	$(PY) -m pytest -q -m "not slow and not oracle and not gpu and not network and not browser and not distributed"

# `make bench` prints the table of bench/suite.py (a few minutes); pass more with
# BENCH_ARGS="--full" (longer runs and the U-Net) or "--threads 1 --only seed,signal".
BENCH_ARGS ?=
bench: install
	$(PY) bench/suite.py $(BENCH_ARGS)

# The Keras 3 + TensorFlow column of the bench: a venv of its own, never a dependency
# of cnnkit (the bench talks to it through a subprocess). If the index has no
# TensorFlow for this Python, the venv is removed and the bench leaves that column empty.
ANCHORS := .venv-anchors
$(ANCHORS)/.stamp-anchors:
	$(PYTHON) -m venv $(ANCHORS)
	@$(ANCHORS)/bin/pip install -q "tensorflow-cpu==2.21.0" "keras==3.15.1" || \
	  $(ANCHORS)/bin/pip install -q tensorflow keras || \
	  (rm -rf $(ANCHORS); echo "note: no TensorFlow on the index; the bench skips Keras/TF"; exit 0)
	@[ -d $(ANCHORS) ] && touch $@ || true

bench-anchors: $(ANCHORS)/.stamp-anchors

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) $(ANCHORS) build dist .pytest_cache
