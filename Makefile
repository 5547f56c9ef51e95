# Two entry points, each self-installing into .venv on a fresh machine (Python 3.11 + pip):
#   make demo   - backtest a bundled example strategy on the embedded (synthetic) default data
#   make test   - lint and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test install

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: install
	$(BIN)/research-env backtest strategies/rsi_mean_reversion.py --symbols AAPL,MSFT \
		--start 2023-01-01 --end 2024-01-01 --timeframe 5m

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
