"""How long the backtest report's figure takes for a 5-minute year of two symbols (issue 11: under a second).

Work: ``rsi_mean_reversion`` on AAPL and MSFT, 5-minute bars, 2023-01-01 to 2024-01-01 (19,578 bars per
symbol on the NYSE calendar; synthetic demo bars, so it runs anywhere), the result holding each symbol's
bars. Timed, best of ``--repeat`` runs after one warm-up: building the figure (``backtest_figure``:
exposure, landmarks, merged candles, calendar gaps, every trace) and the notebook output
(``report.figure_bundle``: the figure's JSON for plotly's mimetype and the HTML fallback). The backtest
itself is not timed. Exits 1 when the best total is a second or more.

    python benchmarks/report_figure_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
import warnings

LIMIT_S = 1.0


def build_result():
    from research_env import backtest, load_bars
    from research_env.data import BarStore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tempfile.TemporaryDirectory() as store:
            bars = load_bars(["AAPL", "MSFT"], "2023-01-01", "2024-01-01", "5m", store=BarStore(store))
            result = backtest("rsi_mean_reversion", symbols=["AAPL", "MSFT"], start="2023-01-01",
                              end="2024-01-01", timeframe="5m", data=bars)
    return dataclasses.replace(result, bars=dict(bars.frames))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from research_env.notebook import report
    from research_env.notebook.figures import backtest_figure

    result = build_result()
    report.figure_bundle(backtest_figure(result), include_plotlyjs=False)  # warm-up: imports, calendar cache
    figure_s, bundle_s = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        fig = backtest_figure(result)
        built = time.perf_counter()
        bundle = report.figure_bundle(fig, include_plotlyjs=False)
        done = time.perf_counter()
        figure_s.append(built - started)
        bundle_s.append(done - built)
    total = min(f + b for f, b in zip(figure_s, bundle_s, strict=True))
    size = len(bundle["text/html"])
    bars = sum(len(f) for f in result.bars.values())
    print(f"{result.timeframe} bars: {bars:,} over {len(result.symbols)} symbols, {len(result.trades)} round trips")
    print(f"figure   : best {min(figure_s):.3f} s of {args.repeat}")
    print(f"output   : best {min(bundle_s):.3f} s (JSON for plotly's mimetype + HTML fallback, {size / 1e6:.2f} MB)")
    print(f"total    : best {total:.3f} s (limit {LIMIT_S:.1f} s) -> {'ok' if total < LIMIT_S else 'TOO SLOW'}")
    return 0 if total < LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main())
