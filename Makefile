# Two entry points, both of which set themselves up on a fresh machine:
#   make train   install, then train and evaluate the classifier (the main job)
#   make test    install, then check notebooks <-> package <-> docs sync, run nbdev-test (fast mode; again on a tiny
#                DistilBERT), pytest,
#                the browser test of a fresh build of the docs site, and pytest again at the dependency floors
# Installs use requirements/lock.txt (the versions CI tested); `make lock` refreshes it.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# A CPU build of PyTorch (an unpinned torch pulls several GB of CUDA packages); override on a GPU box.
TORCH ?= torch==2.13.0
# Local CARER files when the Hugging Face Hub is unreachable; unset to use the Hub's dair-ai/emotion.
EMOTION_DATA_DIR ?= $(wildcard $(abspath ../shared/data/emotion))
export EMOTION_DATA_DIR
export HF_HUB_DISABLE_TELEMETRY := 1

LOCK := requirements/lock.txt
FLOORS := requirements/floors.txt

.PHONY: install train test sync-check nbtest nbtest-distilbert pytest notebooks docs docs-check site-test browser floors lock test-latest clean

$(VENV)/.installed: pyproject.toml $(LOCK)
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -c $(LOCK) -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(VENV)/.installed

# TRAIN_ARGS: more `emotion-nbdev train` flags, e.g. TRAIN_ARGS=--overwrite to replace the model a previous run saved
train: install
	$(BIN)/emotion-nbdev data
	$(BIN)/emotion-nbdev train $(TRAIN_ARGS)

test: install sync-check docs-check nbtest nbtest-distilbert pytest site-test floors

# Fails when nbdev-export or nbdev-clean would change a file of the working tree.
sync-check: install
	@snapshot() { git ls-files -z --cached --others --exclude-standard | xargs -0 sha1sum 2>/dev/null; }; \
	before=$$(snapshot); $(BIN)/nbdev-export && $(BIN)/nbdev-clean; after=$$(snapshot); \
	if [ "$$before" != "$$after" ]; then \
	  echo "nbdev-export / nbdev-clean changed these files: run both and commit them:"; \
	  diff <(echo "$$before") <(echo "$$after") | grep '^>' | awk '{print "  " $$3}'; exit 1; \
	else echo "notebooks and package are in sync"; fi

nbtest: install
	EMOTION_FAST=1 HF_HUB_OFFLINE=$${HF_HUB_OFFLINE:-0} $(BIN)/nbdev-test --n-workers 2

# The chapters again, in fast mode, on a DistilBERT-architecture checkpoint (what Colab resolves to): a tiny random
# DistilBERT saved with the real WordPiece tokenizer, through EMOTION_CHECKPOINT. Names, sizes and thresholds in the
# chapters come from the checkpoint in use, so they must run on it unchanged.
TINY_DISTILBERT := build/tiny-distilbert
nbtest-distilbert: install
	rm -rf $(TINY_DISTILBERT) build/cache-distilbert
	$(PY) -c "from emotion_nbdev.finetune import tiny_checkpoint; tiny_checkpoint('$(TINY_DISTILBERT)', 'distilbert')" >/dev/null
	EMOTION_FAST=1 EMOTION_CHECKPOINT=$(abspath $(TINY_DISTILBERT)) EMOTION_CACHE_DIR=$(abspath build/cache-distilbert) \
	  HF_HUB_OFFLINE=$${HF_HUB_OFFLINE:-0} $(BIN)/nbdev-test --n-workers 2

pytest: install
	EMOTION_FAST=1 $(PY) -m pytest -q

# The docs site, offline: nbdev's processed notebooks rendered by MkDocs into docs/ (committed; rebuild after editing a chapter).
docs: install
	$(PY) tools/build_site.py

# Fails when docs/ was built from other versions of the notebooks.
docs-check: install
	$(PY) tools/build_site.py --check

# Builds the site afresh into build/site and opens every page in headless Chromium (screenshots in build/screenshots).
site-test: install browser
	$(PY) tools/build_site.py --out build/site
	EMOTION_SITE_DIR=build/site $(PY) -m pytest -q -m browser tests/test_site.py

# Debian's Chromium and its WebDriver, for the browser test.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Re-run every notebook top to bottom on the full data (not fast mode) and keep the outputs for the docs. nbdev-test
# runs `#| slow` cells with --flags slow and, unlike jupyter-execute, skips `eval: false` cells (e.g. a Hub upload).
NBS ?= $(wildcard nbs/[0-9]*.ipynb) nbs/index.ipynb
notebooks: install
	for nb in $(NBS); do echo "running $$nb"; \
	  env -u EMOTION_FAST $(BIN)/nbdev-test --flags slow --save --n-workers 1 $$nb || exit 1; done
	$(BIN)/nbdev-clean

# The fast suite again in a second environment holding every runtime and test dependency at the lower bound
# pyproject.toml declares (requirements/floors.txt; torch from PyPI, so a CUDA build: ~2.5 GB, cached by uv).
FLOORS_VENV ?= .venv-floors
floors: install
	$(PY) tools/requirements.py floors --check
	rm -rf $(FLOORS_VENV) && $(BIN)/uv venv -q --seed --python "$$(readlink -f $(PY))" $(FLOORS_VENV)
	$(BIN)/uv pip install -q --python $(FLOORS_VENV)/bin/python -c $(FLOORS) -e ".[test]"
	$(FLOORS_VENV)/bin/python -m pip list 2>/dev/null | grep -iE "^($$(cut -d= -f1 -s $(FLOORS) | paste -sd'|')) " | tr -s ' ' | paste -sd' '
	EMOTION_FAST=1 $(FLOORS_VENV)/bin/python -m pytest -q -p no:cacheprovider

# Re-resolve the newest releases the bounds allow into requirements/lock.txt (then run `make test` and commit it).
lock:
	rm -rf .venv-lock && python3 -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q "$(TORCH)" && .venv-lock/bin/python -m pip install -q -e ".[dev]"
	.venv-lock/bin/python tools/requirements.py lock .venv-lock/bin/python && rm -rf .venv-lock

# Early warning (scheduled CI): the fast suite on the newest releases, no lock. TORCH_LATEST picks the torch build.
TORCH_LATEST ?= torch
test-latest:
	rm -rf .venv-latest && python3 -m venv .venv-latest
	.venv-latest/bin/python -m pip install -q --upgrade pip "$(TORCH_LATEST)" && .venv-latest/bin/python -m pip install -q --upgrade -e ".[test]"
	.venv-latest/bin/python -m pip list 2>/dev/null | grep -iE "^(torch|transformers|datasets|accelerate|onnxruntime|pandas|numpy) "
	EMOTION_FAST=1 .venv-latest/bin/python -m pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) .venv-floors .venv-lock .venv-latest build dist *.egg-info _proc _site_src
