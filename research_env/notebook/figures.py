"""Every plotly figure of research-env: backtest reports, sweep heatmaps, walk-forward views.

One module for the notebook report, the HTML export and the sliders alike.
Results never draw themselves: ``BacktestResult`` and sweep results call these
builders (through ``research_env.notebook.report``), and so do the widgets.
Figures are plain ``plotly.graph_objects.Figure`` objects; the interactive
explorer updates one in place and redraws it.

The backtest figure, top to bottom, on one New York time axis with the NYSE
calendar's gaps removed: equity as cumulative return (%) with the benchmark
on the same basis (held at the strategy's average exposure by default; a
button shows it fully invested), the peak, the final value and the deepest
and longest drawdowns marked; exposure (% of equity invested); drawdown;
the price of one symbol (a dropdown picks it) as candlesticks, or OHLC bars
for long ranges, with entries and exits joined by a line coloured by the
trade's P&L; volume; each closed trade's return (marker size: holding
period) with the distribution of those returns beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import _chart_data as charts
from ._sweep_figures import METRIC_COLUMNS, sweep_columns, sweep_heatmap, walk_forward_figure

__all__ = [
    "METRIC_COLUMNS",
    "backtest_figure",
    "result_bars",
    "sweep_columns",
    "sweep_heatmap",
    "walk_forward_figure",
]

_UP, _DOWN, _FLAT = "#26a69a", "#ef5350", "#9e9e9e"
_STRATEGY, _BENCHMARK, _EXPOSURE = "#1f77b4", "#7f7f7f", "#8c6bb1"
_ROWS = {"equity": 1, "exposure": 2, "drawdown": 3, "price": 4, "volume": 5, "trades": 6}
_SYMBOL_TRACES = 6  # per symbol: price, volume, winning and losing trade lines, entries, exits


def result_bars(result) -> dict[str, pd.DataFrame]:
    """Each symbol's bars over the run: ``result.bars`` (OHLCV) where the result holds them, else a frame
    with only the ``close`` column from ``result.closes`` (drawn as a line, without volume)."""
    held = getattr(result, "bars", None) or {}
    out = {}
    for symbol in result.symbols:
        frame = held.get(symbol)
        if frame is not None and len(frame):
            out[symbol] = frame
        elif symbol in result.closes and len(result.closes[symbol]):
            out[symbol] = result.closes[symbol].rename("close").to_frame()
    return out


def backtest_figure(result, bars: Mapping[str, pd.DataFrame] | None = None) -> go.Figure:
    """The backtest report's figure (see the module docstring for its panels).

    ``bars`` maps symbol -> bar frame (OHLCV, or at least ``close``); by
    default ``result_bars(result)``. The trace layout depends only on the
    symbols and whether a benchmark exists, so a figure of another run of the
    same strategy can replace this one trace by trace.
    """
    if bars is None:
        bars = result_bars(result)
    symbols = list(result.symbols)
    daily = charts.is_daily(result.timeframe)
    fig = make_subplots(
        rows=6, cols=2, column_widths=[0.86, 0.14], horizontal_spacing=0.02, vertical_spacing=0.035,
        row_heights=[0.27, 0.09, 0.09, 0.27, 0.08, 0.2], shared_xaxes=True,
        specs=[[{}, None]] * 5 + [[{}, {}]],  # one width for every time panel, so their dates line up
        subplot_titles=("Equity: cumulative return (%)", "Exposure (% of equity invested)", "Drawdown (%)",
                        "Price", "Volume",
                        "Return per closed trade (%); marker size: holding period", "Distribution"),
    )
    exposure = charts.exposure(result)
    weight = float(exposure.mean()) if len(exposure) else 0.0
    _add_equity(fig, result, daily, weight)
    _add_line(fig, exposure * 100.0, daily, "Exposure %", _EXPOSURE, _ROWS["exposure"], fill="tozeroy")
    _add_line(fig, result.drawdown * 100.0, daily, "Drawdown %", _DOWN, _ROWS["drawdown"], fill="tozeroy")
    drawn = {s: _drawn(bars.get(s), result.timeframe) for s in symbols}
    fig.layout.annotations[3].text = _price_title(symbols[0], bars.get(symbols[0]), drawn[symbols[0]],
                                                  result.timeframe)
    first_symbol_trace = len(fig.data)
    for symbol in symbols:
        _add_symbol(fig, result, symbol, bars.get(symbol), drawn[symbol], daily, visible=symbol == symbols[0])
    _add_trade_returns(fig, result, daily)

    breaks = charts.rangebreaks(result.start, result.end, daily)
    for row in range(1, 7):  # one time axis: the panels zoom together; dates under the bottom one only
        fig.update_xaxes(rangebreaks=breaks, showspikes=True, spikemode="across", spikesnap="cursor",
                         spikethickness=1, row=row, col=1, **({"matches": "x6", "showticklabels": False}
                                                              if row < 6 else {}))
    fig.update_xaxes(rangeslider_visible=False)
    fig.update_xaxes(title_text="trades", row=6, col=2)
    fig.update_yaxes(ticksuffix="%", row=1, col=1)
    fig.update_yaxes(ticksuffix="%", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(ticksuffix="%", row=3, col=1)
    fig.update_yaxes(title_text="price", row=4, col=1)
    fig.update_yaxes(ticksuffix="%", zeroline=True, row=6, col=1)
    fig.update_yaxes(matches="y6", showticklabels=False, row=6, col=2)
    menus = _benchmark_buttons(result, weight)
    if len(symbols) > 1:
        titles = [_price_title(s, bars.get(s), drawn[s], result.timeframe) for s in symbols]
        menus.append(_symbol_menu(symbols, titles, first_symbol_trace, top=fig.layout.yaxis4.domain[1]))
    fig.update_layout(
        title={"text": _title(result), "x": 0.01, "y": 0.985, "yanchor": "top"},
        height=1150,
        margin={"l": 70, "r": 20, "t": 110, "b": 40},
        legend={"x": 0.875, "xanchor": "left", "y": 1.0, "yanchor": "top", "font": {"size": 11}},
        hovermode="closest",
        bargap=0.0,
        uirevision="research-env",
        template="plotly_white",
        updatemenus=menus,
    )
    return fig


# --- equity panel ------------------------------------------------------------------------------------


def _add_equity(fig: go.Figure, result, daily: bool, weight: float) -> None:
    row = _ROWS["equity"]
    initial = result.config.initial_cash
    returns = (result.equity / initial - 1.0) * 100.0
    _add_line(fig, returns, daily, "Equity", _STRATEGY, row, width=2)
    bench = result.benchmark
    if bench is not None and len(bench):
        name = result.config.benchmark
        x = charts.x_values(pd.DatetimeIndex(bench.index) + pd.Timedelta(hours=16), daily)
        scaled = charts.benchmark_returns(bench, weight).to_numpy() * 100.0
        raw = charts.benchmark_returns(bench).to_numpy() * 100.0
        for label, values, visible in ((f"{name} at the strategy's exposure", scaled, True),
                                       (f"{name} fully invested", raw, False)):
            fig.add_trace(go.Scatter(x=x, y=values, name=label, mode="lines", visible=visible,
                                     line={"color": _BENCHMARK, "dash": "dot", "width": 1.5},
                                     hovertemplate="%{y:.2f}%<extra>" + label + "</extra>"), row=row, col=1)
    if not len(result.equity):
        return
    marks = charts.landmarks(result.equity, initial)
    times = charts.x_values(result.equity.index, daily)
    values = returns.to_numpy()
    final = len(values) - 1
    depth = result.drawdown.to_numpy() * 100.0
    for label, at, color, symbol, shown, where in (
            ("Peak", marks.peak, _UP, "triangle-up", values, "top"),
            ("Final", final, _STRATEGY, "circle", values, "top"),
            ("Max drawdown", marks.trough, _DOWN, "triangle-down", depth, "bottom")):
        points = [] if at is None or final < 0 else [at]
        side = "left" if points and at > final / 2 else "right"
        fig.add_trace(go.Scatter(
            x=[times[i] for i in points], y=[values[i] for i in points], name=label, mode="markers+text",
            text=[f"{label} {shown[i]:.2f}%" for i in points], textposition=f"{where} {side}", cliponaxis=False,
            marker={"color": color, "size": 10, "symbol": symbol, "line": {"width": 1, "color": "white"}},
            hovertemplate="%{text}<br>%{x}<extra></extra>", showlegend=False), row=row, col=1)
    if marks.longest is not None:
        begin, end, recovered = marks.longest
        level = (marks.longest_level / initial - 1.0) * 100.0
        text = f"Longest drawdown: {marks.longest_days:.0f} days" + ("" if recovered else " (not recovered)")
        x, y = [times[begin], times[end]], [level, level]
    else:
        text, x, y = "Longest drawdown: none", [], []
    fig.add_trace(go.Scatter(x=x, y=y, name="Longest drawdown", mode="lines+text", text=["", text][:len(x)],
                             textposition="top left", textfont={"color": _DOWN},  # clear of the peak's label
                             line={"color": _DOWN, "width": 3}, hovertext=[text] * len(x),
                             hovertemplate="%{hovertext}<extra></extra>", showlegend=False), row=row, col=1)


def _benchmark_buttons(result, weight: float) -> list[dict]:
    bench = result.benchmark
    if bench is None or not len(bench):
        return []
    name = result.config.benchmark
    first = 1  # the benchmark's two traces follow the equity trace
    return [{
        "type": "buttons", "direction": "right", "showactive": True, "active": 0,
        "x": 0.0, "xanchor": "left", "y": 1.035, "yanchor": "bottom", "pad": {"t": 0, "b": 0},
        "font": {"size": 11},
        "buttons": [
            {"label": f"{name} at the strategy's average exposure ({weight:.0%})", "method": "restyle",
             "args": [{"visible": [True, False]}, [first, first + 1]]},
            {"label": f"{name} fully invested", "method": "restyle",
             "args": [{"visible": [False, True]}, [first, first + 1]]},
        ],
    }]


def _add_line(fig: go.Figure, series: pd.Series, daily: bool, name: str, color: str, row: int,
              width: float = 1.2, fill: str | None = None) -> None:
    values = series.to_numpy(dtype=np.float64)
    keep = charts.extremes_positions(values)
    x = charts.x_values(pd.DatetimeIndex(series.index)[keep], daily)
    fig.add_trace(go.Scatter(x=x, y=values[keep], name=name, mode="lines", fill=fill,
                             line={"color": color, "width": width},
                             hovertemplate="%{y:.2f}%<extra>" + name + "</extra>"), row=row, col=1)


# --- price panel -------------------------------------------------------------------------------------


def _drawn(bars: pd.DataFrame | None, timeframe: str) -> charts.Candles | None:
    if bars is None or not len(bars) or not {"open", "high", "low", "close"} <= set(bars.columns):
        return None
    return charts.candles(bars, timeframe)


def _add_symbol(fig: go.Figure, result, symbol: str, bars: pd.DataFrame | None, drawn: charts.Candles | None,
                daily: bool, visible: bool) -> None:
    price, volume = _ROWS["price"], _ROWS["volume"]
    group = {"legendgroup": symbol, "visible": visible}
    if drawn is not None:
        frame = drawn.frame
        x = charts.x_values(frame.index, daily)
        kind = go.Candlestick if len(frame) <= charts.MAX_CANDLESTICKS else go.Ohlc
        fig.add_trace(kind(x=x, open=frame["open"].to_numpy(), high=frame["high"].to_numpy(),
                           low=frame["low"].to_numpy(), close=frame["close"].to_numpy(), name=f"{symbol} price",
                           increasing={"line": {"color": _UP}}, decreasing={"line": {"color": _DOWN}}, **group),
                      row=price, col=1)
        up = frame["close"].to_numpy() >= frame["open"].to_numpy()
        amount = frame["volume"].to_numpy() if "volume" in frame.columns else np.zeros(len(frame))
        fig.add_trace(go.Bar(x=x, y=amount, name=f"{symbol} volume", marker={"color": np.where(up, _UP, _DOWN),
                             "line": {"width": 0}}, opacity=0.6, showlegend=False,
                             hovertemplate="%{y:,.0f}<extra>" + symbol + " volume</extra>", **group),
                      row=volume, col=1)
    else:
        close = bars["close"] if bars is not None else pd.Series(dtype=float)
        values = close.to_numpy(dtype=np.float64)
        keep = charts.extremes_positions(values)
        fig.add_trace(go.Scatter(x=charts.x_values(pd.DatetimeIndex(close.index)[keep], daily), y=values[keep],
                                 name=f"{symbol} price", mode="lines", line={"color": _STRATEGY, "width": 1.2},
                                 **group), row=price, col=1)
        fig.add_trace(go.Bar(x=[], y=[], name=f"{symbol} volume", showlegend=False, **group), row=volume, col=1)
    _add_trades(fig, result, symbol, daily, group)


def _add_trades(fig: go.Figure, result, symbol: str, daily: bool, group: dict) -> None:
    row = _ROWS["price"]
    trades = [t for t in result.trades if t.symbol == symbol]
    for label, color, wanted in (("winning trades", _UP, True), ("losing trades", _DOWN, False)):
        xs, ys, texts = [], [], []
        for t in trades:
            if t.is_open or t.pnl is None or (t.pnl > 0) != wanted:
                continue
            times = charts.x_values([t.entry_time, t.exit_time], daily)
            xs += [*times, None]
            ys += [t.entry_price, t.exit_price, None]
            text = _trade_text(t, daily)
            texts += [text, text, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, name=f"{symbol} {label}", mode="lines", text=texts,
                                 line={"color": color, "width": 2, "dash": "dot"},
                                 hovertemplate="%{text}<extra></extra>", **group), row=row, col=1)
    for label, entries in (("entries", True), ("exits", False)):
        fills, colors, texts = [], [], []
        for t in trades:
            for fill in t.fills:
                if (str(fill.side) == str(t.side)) != entries:
                    continue
                fills.append(fill)
                colors.append(_FLAT if t.is_open or not t.pnl else (_UP if t.pnl > 0 else _DOWN))
                texts.append(f"{fill.side} {fill.quantity:g} @ {fill.price:,.2f}<br>{fill.reason or '(no reason)'}"
                             f"<br>{_trade_text(t, daily)}")
        fig.add_trace(go.Scatter(
            x=charts.x_values([f.timestamp for f in fills], daily), y=[f.price for f in fills],
            name=f"{symbol} {label}", mode="markers", text=texts, hovertemplate="%{text}<extra></extra>",
            marker={"symbol": ["triangle-up" if str(f.side) == "BUY" else "triangle-down" for f in fills],
                    "size": 11 if entries else 9, "color": colors, "line": {"width": 1, "color": "#333"}},
            **group), row=row, col=1)


def _trade_text(t, daily: bool) -> str:
    if t.is_open:
        return f"open {t.side} {t.quantity:g} since {charts.x_values([t.entry_time], daily)[0]}"
    pnl = "" if t.pnl is None else f"P&L {t.pnl:+,.2f}"
    ret = "" if t.return_pct is None else f" ({t.return_pct:+.2%})"
    return f"{t.side} {t.quantity:g}: {t.entry_price:,.2f} → {t.exit_price:,.2f}, {pnl}{ret}, held {_held(t)}"


def _held(t) -> str:
    seconds = (pd.Timestamp(t.exit_time) - pd.Timestamp(t.entry_time)).total_seconds()
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min"


def _price_title(symbol: str, bars: pd.DataFrame | None, drawn: charts.Candles | None, timeframe: str) -> str:
    if bars is None or not len(bars):
        return f"{symbol}: no bars to draw; trades only"
    if drawn is None:
        return f"{symbol}: close ({timeframe} bars; the result holds closes only) and trades"
    style = "candlesticks" if len(drawn.frame) <= charts.MAX_CANDLESTICKS else "OHLC bars"
    if drawn.merged:
        return f"{symbol}: {len(bars):,} {timeframe} bars as {len(drawn.frame):,} {drawn.label} {style}, and trades"
    return f"{symbol}: {timeframe} {style} and trades"


def _symbol_menu(symbols: list[str], titles: list[str], first: int, top: float) -> dict:
    count = len(symbols) * _SYMBOL_TRACES
    indices = list(range(first, first + count))
    buttons = []
    for i, (symbol, title) in enumerate(zip(symbols, titles, strict=True)):
        visible = [i * _SYMBOL_TRACES <= k < (i + 1) * _SYMBOL_TRACES for k in range(count)]
        buttons.append({"label": symbol, "method": "update",
                        "args": [{"visible": visible}, {"annotations[3].text": title}, indices]})
    return {"type": "dropdown", "buttons": buttons, "active": 0, "x": 0.86, "xanchor": "right",
            "y": top + 0.012, "yanchor": "bottom", "showactive": True, "font": {"size": 11}}


# --- trades panel ------------------------------------------------------------------------------------


def _add_trade_returns(fig: go.Figure, result, daily: bool) -> None:
    row = _ROWS["trades"]
    closed = [t for t in result.trades if not t.is_open and t.return_pct is not None]
    returns = np.array([t.return_pct * 100.0 for t in closed], dtype=np.float64)
    held = np.array([(pd.Timestamp(t.exit_time) - pd.Timestamp(t.entry_time)).total_seconds() for t in closed])
    longest = held.max() if len(held) and held.max() > 0 else 1.0
    sizes = 6.0 + 16.0 * np.sqrt(held / longest)
    fig.add_trace(go.Scatter(
        x=charts.x_values([t.exit_time for t in closed], daily), y=returns, name="Trade returns", mode="markers",
        text=[f"{t.symbol} {_trade_text(t, daily)}" for t in closed], hovertemplate="%{text}<extra></extra>",
        marker={"size": sizes, "color": [_UP if r > 0 else (_DOWN if r < 0 else _FLAT) for r in returns],
                "opacity": 0.75, "line": {"width": 0.5, "color": "#333"}}, showlegend=False), row=row, col=1)
    bins = int(min(40, max(8, math.sqrt(len(returns)) * 2))) if len(returns) else 8
    fig.add_trace(go.Histogram(y=returns, nbinsy=bins, name="Return distribution", marker={"color": _BENCHMARK},
                               showlegend=False, hovertemplate="%{y}%: %{x} trades<extra></extra>"), row=row, col=2)


def _title(result) -> str:
    m = result.metrics
    sharpe = "n/a" if m.sharpe_ratio is None else f"{m.sharpe_ratio:.2f}"
    params = ", ".join(f"{k}={v}" for k, v in result.parameters.items())
    head = f"{result.strategy}({params}) on {', '.join(result.symbols)}"
    if result.is_synthetic:
        head = "SYNTHETIC DATA · " + head
    return (f"{head}<br><sup>return {m.total_return:.2%} · Sharpe {sharpe} · max drawdown {m.max_drawdown:.2%} · "
            f"{m.total_trades} trades · {result.timeframe} bars, New York time</sup>")
