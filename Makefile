# Build, test and benchmark the book from a fresh clone.
#   make book   HTML book in _build/html (creates .venv from the pinned spec)
#   make test   the whole test suite (installs chromium via apt if missing)
SHELL := /bin/bash
.DEFAULT_GOAL := book

VENV   ?= .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.stamp
PYTEST_ARGS ?=

# Notebook kernels must not inherit MPLBACKEND: ipykernel selects its inline
# backend only when it is unset, and without it figures never reach the book.
KERNEL_ENV := env -u MPLBACKEND
# The offline data mirror beside the checkout, when there is one; users with
# internet need nothing (torchvision downloads MNIST into data/).
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/.),)
export GOBIG_DATA_DIR ?= $(SHARED_DATA)
endif
# Notebook kernels and tools resolve to the project's environment.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: venv book test browser sandbox notebooks bench clean

KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py

venv: $(STAMP) $(KERNEL_CONFIG)

# Reinstall only when the spec changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -e ".[pinned,book,test]"
	@touch $@

# Every kernel started from the environment reads it (why: the file's comment).
$(KERNEL_CONFIG): etc/ipython/ipython_kernel_config.py $(STAMP)
	install -D -m 644 $< $@

# Sphinx re-reads only the pages whose own text changed, so a page would keep
# numbers from records, library code or data that changed since the last
# build. Everything a page reads is hashed (contents of the records, the
# library and the kernel config; names, sizes and times of the data files);
# when the hash differs from the last build's, every page is re-executed
# (--all, a fresh environment); when nothing changed the build stays incremental.
BOOK_OUT     ?= .
RESULTS_DIR  := $(or $(GOBIG_RESULTS_DIR),results)
BOOK_INPUTS  := $(BOOK_OUT)/_build/.book-inputs
hash_inputs   = { find $(RESULTS_DIR) lib etc -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum; \
                  find -L $(or $(GOBIG_DATA_DIR),data) -type f -printf '%p %s %T@\n' 2>/dev/null | sort; } | sha256sum | cut -d' ' -f1

book: venv sandbox
	@$(PYTHON) -m gobig check --results-dir $(RESULTS_DIR)
	@inputs=$$($(hash_inputs)); fresh=; \
	if [ "$$inputs" != "$$(cat $(BOOK_INPUTS) 2>/dev/null)" ]; then \
	  fresh=--all; echo "make book: records, library or data changed since the last build (or no build yet): every page is re-executed"; \
	fi; \
	$(KERNEL_ENV) $(VENV)/bin/jupyter-book build . --path-output $(BOOK_OUT) -W -n --keep-going $$fresh && echo "$$inputs" > $(BOOK_INPUTS)

# Chromium renders the built book for the book test tier.
browser:
	@if command -v chromium >/dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make browser: installing chromium with apt-get"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get -o DPkg::Lock::Timeout=600 update && apt-get -o DPkg::Lock::Timeout=600 install -y chromium; \
	else \
	  echo "make browser: chromium is not installed and this is not a root Debian/Ubuntu shell;" >&2; \
	  echo "  install it (e.g. 'sudo apt-get install -y chromium'); the book tests fail without it." >&2; \
	fi

# Bubblewrap isolates the untrusted programs chapter 3 runs (gobig.methods.code.sandbox).
sandbox:
	@if command -v bwrap >/dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make sandbox: installing bubblewrap with apt-get"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get -o DPkg::Lock::Timeout=600 update && apt-get -o DPkg::Lock::Timeout=600 install -y bubblewrap; \
	else \
	  echo "make sandbox: bubblewrap (bwrap) is not installed and this is not a root Debian/Ubuntu shell;" >&2; \
	  echo "  untrusted programs then run rlimits-only, without network or file-system isolation" >&2; \
	  echo "  (install it with e.g. 'sudo apt-get install -y bubblewrap')." >&2; \
	fi

test: venv browser sandbox
	$(PYTHON) -m pytest $(PYTEST_ARGS)

# Refresh the outputs stored in the chapters (what the nbval tier compares to).
# The same nbclient engine as jupyter-book and papermill; cwd is chapters/.
notebooks: venv
	$(KERNEL_ENV) $(VENV)/bin/jupyter execute --inplace --timeout=600 intro.ipynb chapters/*.ipynb ledger.ipynb reliability.ipynb performance.ipynb

bench: venv
	@set -e; for script in $(sort $(wildcard benchmarks/*.py)); do \
	  echo "== $$script"; $(PYTHON) $$script; \
	done

clean:
	rm -rf _build .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
