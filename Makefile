# Two entry points, each self-installing into .venv on a fresh machine (Python 3.11 + pip):
#   make demo   - backtest a bundled example strategy on the embedded (synthetic) default data,
#                 then run notebooks/quickstart.ipynb unattended and print where its outputs are
#   make test   - lint, run the whole test suite, then run the notebooks under nbval
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test install

install: $(VENV)/.installed

# The wheel installs the research-env kernelspec as shared-data; the second line is a safety net for
# installers that skip shared-data on editable installs.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/jupyter kernelspec list | grep -qw research-env || \
		$(BIN)/jupyter kernelspec install --sys-prefix --name research-env kernels/research_env
	touch $@

demo: install
	$(BIN)/research-env backtest strategies/rsi_mean_reversion.py --symbols AAPL,MSFT \
		--start 2023-01-01 --end 2024-01-01 --timeframe 5m
	$(BIN)/research-env run notebooks/quickstart.ipynb

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbval-lax --nbval-kernel-name research-env notebooks/
