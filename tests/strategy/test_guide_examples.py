"""Every example strategy of the guide runs unchanged from a folder outside the repo, on real bars."""

import shutil
import subprocess
import sys
import textwrap

import pytest

from research_env import backtest
from tests.conftest import REPO_ROOT

EXAMPLES = {
    "rsi_mean_reversion.py": dict(symbols=["AAPL", "MSFT"], start="2025-06-01", end="2026-03-01", timeframe="5m"),
    "dual_ma_crossover.py": dict(symbols=["SPY"], start="2015-01-01", end="2020-01-01", timeframe="1d"),
    "bollinger_mean_reversion.py": dict(symbols=["AAPL", "MSFT"], start="2025-06-01", end="2026-03-01",
                                        timeframe="15m"),
    "regime_rotation.py": dict(symbols=None, start="2018-06-01", end="2025-10-01", timeframe="1d"),
}


@pytest.fixture()
def outside(tmp_path, monkeypatch):
    """A working folder outside the repository holding copies of the example files."""
    for name in EXAMPLES:
        shutil.copy(REPO_ROOT / "strategies" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_guide_example_runs_unchanged_on_real_bars(name, outside, real_store):
    result = backtest(str(outside / name), data=real_store, **EXAMPLES[name])
    assert len(result.fills) > 0
    assert not result.is_synthetic
    assert all(src.startswith("local") for src in result.data_sources.values())
    assert result.metrics.total_trades == len([t for t in result.trades if not t.is_open])


def test_regime_rotation_trades_offensive_and_defensive_symbols(outside, real_store):
    result = backtest(str(outside / "regime_rotation.py"), data=real_store, **EXAMPLES["regime_rotation.py"])
    traded = {f.symbol for f in result.fills}
    assert {"QQQ", "NVDA", "META", "AMZN"} <= traded
    assert traded <= {"QQQ", "NVDA", "META", "AMZN", "TLT", "GLD"}


def test_guide_faq_local_script_runs_with_plain_python_from_any_folder(tmp_path):
    shutil.copy(REPO_ROOT / "strategies" / "rsi_mean_reversion.py", tmp_path / "my_strategy.py")
    script = tmp_path / "try_it.py"
    script.write_text(textwrap.dedent("""
        from strategies.base import StrategyBase
        from core.models import Bar, Signal
        from datetime import datetime
        from decimal import Decimal

        from my_strategy import RsiMeanReversionStrategy as MyStrategy

        strategy = MyStrategy(symbols=["AAPL"])
        strategy.on_init()
        strategy.on_start()
        bar = Bar(
            symbol="AAPL", timeframe="5m",
            timestamp=datetime.now(),
            open=Decimal("150"), high=Decimal("151"),
            low=Decimal("149"), close=Decimal("150.5"),
            volume=Decimal("1000000"),
        )
        signals = strategy.feed_bar(bar)
        print(f"Signals: {signals}")
        assert issubclass(MyStrategy, StrategyBase) and isinstance(bar, Bar)
    """))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Signals: []"
