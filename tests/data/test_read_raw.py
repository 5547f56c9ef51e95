"""Every file under shared/data/raw imports; values are checked against a csv-module read."""

from pathlib import Path

import pandas as pd
import pytest

from research_env.data import BarDataError, BarDataWarning, read_bar_file

from .builders import csv_rows, ny

NEW_YORK = "America/New_York"
pytestmark = pytest.mark.filterwarnings("ignore::research_env.data.BarDataWarning")

# (file under raw/, symbol, rows after import) for the daily CSVs; every one is a full session.
DAILY_CSV = [
    ("carlosgberreteaga-trading-ai/AAPL.csv", "AAPL", 5031),
    ("carlosgberreteaga-trading-ai/AMZN.csv", "AMZN", 5031),
    ("carlosgberreteaga-trading-ai/GOOG.csv", "GOOG", 5031),
    ("carlosgberreteaga-trading-ai/GOOGL.csv", "GOOGL", 5031),
    ("carlosgberreteaga-trading-ai/META.csv", "META", 3367),
    ("carlosgberreteaga-trading-ai/MSFT.csv", "MSFT", 5031),
    ("carlosgberreteaga-trading-ai/NVDA.csv", "NVDA", 5031),
    ("carlosgberreteaga-trading-ai/SPY.csv", "SPY", 5030),
    ("carlosgberreteaga-trading-ai/TLT.csv", "TLT", 5030),
    ("carlosgberreteaga-trading-ai/TSLA.csv", "TSLA", 3844),
    ("labz365-ai-stock-bot-vm/GLD.csv", "GLD", 2074),
    ("labz365-ai-stock-bot-vm/QQQ.csv", "QQQ", 2074),
    ("labz365-ai-stock-bot-vm/SPY.csv", "SPY", 2074),
    ("labz365-ai-stock-bot-vm/TLT.csv", "TLT", 2074),
    ("lumibot/GLD.csv", "GLD", 252),
    ("lumibot/SPY.csv", "SPY", 252),
    ("lumibot/TLT.csv", "TLT", 252),
    ("mplfinance/yahoofinance-AAPL-20040819-20180120.csv", "AAPL", 3379),
    ("mplfinance/yahoofinance-GOOG-20040819-20180120.csv", "GOOG", 3379),
    ("mplfinance/yahoofinance-SPY-20080101-20180101.csv", "SPY", 2519),
    ("mplfinance/yahoofinance-SPY-20200901-20210113.csv", "SPY", 92),
]

HOURLY_UTC = ["AAPL", "AMZN", "GOOGL", "META", "MSFT", "NVDA", "TSLA"]

# (symbol, bars kept, extended-hours bars dropped) of the IBKR 5-minute files.
FIVE_MINUTE = [("AAPL", 16207, 193), ("MSFT", 16207, 317), ("QQQ", 16207, 2051), ("SPY", 16207, 1256)]
EARLY_CLOSES_2025 = {"2025-07-03", "2025-11-28", "2025-12-24"}


def _values(row: dict) -> dict:
    lower = {key.lower(): value for key, value in row.items()}
    return {name: float(lower[name]) for name in ("open", "high", "low", "close", "volume")}


@pytest.mark.parametrize(("name", "symbol", "rows"), DAILY_CSV)
def test_daily_csv_imports_with_session_close_stamps_and_exact_prices(raw, name, symbol, rows):
    path = raw / name
    source = [row for row in csv_rows(path) if row["Date"]]
    frame = read_bar_file(path)[symbol]
    assert len(frame) == rows == len(source)
    assert frame.index[0] == ny(f"{source[0]['Date']} 16:00")
    assert frame.index[-1] == ny(f"{source[-1]['Date']} 16:00")
    for i in (0, len(source) // 2, -1):
        assert frame.iloc[i].to_dict() == _values(source[i])


def test_tlt_junk_second_line_is_skipped_with_a_warning_naming_it(raw):
    with pytest.warns(
        BarDataWarning, match=r"skipped 1 row\(s\) with an empty timestamp: line 2 \(',Tlt,Tlt"
    ):
        frame = read_bar_file(raw / "carlosgberreteaga-trading-ai" / "TLT.csv")["TLT"]
    assert frame.index[0] == ny("2005-10-07 16:00")
    assert frame["close"].iloc[0] == 48.70580291748047


def test_reversed_column_order_is_read_by_name(raw):
    frame = read_bar_file(raw / "labz365-ai-stock-bot-vm" / "SPY.csv")["SPY"]
    first = frame.iloc[0]  # file order: Date,Close,High,Low,Open,Volume
    assert first["open"] == 235.74361651795525
    assert first["close"] == 236.56216430664062
    assert first["high"] == 236.5973784613616
    assert first["low"] == 235.35634139761444


def test_yahoo_glitch_rows_only_warn(raw):
    path = raw / "mplfinance" / "yahoofinance-SPY-20080101-20180101.csv"
    with pytest.warns(
        BarDataWarning, match=r"2 bar\(s\) with open or close outside \[low, high\]: line 1808 "
    ):
        frame = read_bar_file(path)["SPY"]
    assert frame.loc[ny("2015-03-05 16:00"), "open"] == 209.419998
    assert frame.loc[ny("2015-03-05 16:00"), "low"] == 209.850006


def test_yahoo_adj_close_dividends_and_splits_columns_are_ignored(raw):
    frame = read_bar_file(raw / "lumibot" / "SPY.csv")["SPY"]
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame["close"].iloc[0] == 250.17999267578125  # Close, not Adj Close 238.69...


@pytest.mark.parametrize("symbol", HOURLY_UTC)
def test_utc_hourly_bars_are_stamped_at_their_end_with_a_short_last_bar(raw, symbol):
    path = raw / "labz365-ai-stock-bot-vm" / f"{symbol}.csv"
    source = csv_rows(path)
    frame = read_bar_file(path)[symbol]
    assert len(frame) == len(source) == 5078
    assert frame.index[0] == pd.Timestamp("2023-05-05 14:30", tz="UTC")  # 09:30-10:30 EDT
    assert frame.index[-1] == pd.Timestamp("2026-04-02 20:00", tz="UTC")  # 15:30-16:00 EDT
    assert frame.iloc[0].to_dict() == _values(source[0])
    assert frame.iloc[-1].to_dict() == _values(source[-1])


def test_utc_hourly_bars_on_an_early_close_day_stop_at_13_00(raw):
    frame = read_bar_file(raw / "labz365-ai-stock-bot-vm" / "AAPL.csv")["AAPL"]
    day = frame.index[frame.index.tz_convert(NEW_YORK).strftime("%Y-%m-%d") == "2024-11-29"]
    assert list(day.tz_convert(NEW_YORK).strftime("%H:%M")) == ["10:30", "11:30", "12:30"]


def _regular_rows(path: Path) -> list[dict]:
    """Rows whose naive New York start is inside the regular session (independent filter)."""
    kept = []
    for row in csv_rows(path):
        day, clock = row["datetime"].split(" ")
        close = "13:00:00" if day in EARLY_CLOSES_2025 else "16:00:00"
        if "09:30:00" <= clock < close:
            kept.append(row)
    return kept


@pytest.mark.parametrize(("symbol", "rows", "dropped"), FIVE_MINUTE)
def test_naive_new_york_5m_bars_drop_extended_hours(raw, symbol, rows, dropped):
    path = raw / "jeffreymalkus-alert-overlay" / f"{symbol}_5min.csv"
    expected = _regular_rows(path)
    with pytest.warns(BarDataWarning, match=rf"dropped {dropped} bar\(s\) outside regular sessions"):
        frame = read_bar_file(path)[symbol]
    assert len(frame) == rows == len(expected)
    assert frame.index[0] == ny("2025-05-12 09:35")
    assert frame.index[-1] == ny("2026-03-12 10:35")  # partial last session kept
    assert frame.iloc[0].to_dict() == _values(expected[0])
    assert frame.iloc[-1].to_dict() == _values(expected[-1])


def test_regular_hours_false_keeps_extended_hours_bars(raw):
    path = raw / "jeffreymalkus-alert-overlay" / "SPY_5min.csv"
    frame = read_bar_file(path, regular_hours=False)["SPY"]
    assert len(frame) == 17463
    assert frame.index[0] == ny("2025-05-12 09:35")
    assert ny("2025-11-28 08:35") in frame.index  # a pre-market bar


def test_spy_minute_with_offsets_drops_499_extended_hours_bars(raw):
    path = raw / "lumibot" / "SPY_Minute_2021.csv"
    with pytest.warns(BarDataWarning, match=r"dropped 499 bar\(s\) outside regular sessions"):
        frame = read_bar_file(path)["SPY"]
    assert len(frame) == 11632
    assert frame.index[0] == pd.Timestamp("2021-07-01 16:57", tz="UTC")  # 12:56-12:57 EDT
    assert frame.index[-1] == pd.Timestamp("2021-08-13 20:00", tz="UTC")
    assert frame.iloc[0].to_dict() == {
        "open": 429.5,
        "high": 429.535,
        "low": 429.5,
        "close": 429.535,
        "volume": 418.0,
    }


@pytest.mark.parametrize("symbol", ["AAPL", "MSFT"])
def test_regular_hours_minute_files_import_whole(raw, symbol, recwarn):
    path = raw / "lumibot" / f"{symbol}_Minute.csv"
    source = csv_rows(path)
    frame = read_bar_file(path)[symbol]
    assert len(frame) == len(source) == 1167
    assert frame.index[0] == ny("2021-08-23 09:31")
    assert frame.index[-1] == ny("2021-08-25 16:00")
    assert frame.iloc[0].to_dict() == _values(source[0])
    assert not [w for w in recwarn if issubclass(w.category, BarDataWarning)]


def test_raw_5m_spy_matches_the_clean_bars_for_common_sessions(shared_data):
    mine = read_bar_file(shared_data / "raw" / "jeffreymalkus-alert-overlay" / "SPY_5min.csv")["SPY"]
    clean = read_bar_file(shared_data / "bars" / "5m" / "SPY.csv", symbol="SPY")["SPY"]
    assert len(clean) == 16068
    pd.testing.assert_frame_equal(mine.loc[clean.index], clean)


def test_raw_daily_spy_matches_the_clean_daily_bars(shared_data):
    mine = read_bar_file(shared_data / "raw" / "carlosgberreteaga-trading-ai" / "SPY.csv")["SPY"]
    clean = read_bar_file(shared_data / "bars" / "1d" / "SPY.csv", symbol="SPY")["SPY"]
    assert mine.index.equals(clean.index)
    pd.testing.assert_frame_equal(mine.round(4), clean)


def test_every_raw_file_is_covered_by_these_tests(raw):
    from .test_lean import LEAN_FILES

    found = {str(p.relative_to(raw)) for p in raw.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    covered = {name for name, _, _ in DAILY_CSV}
    covered |= {f"labz365-ai-stock-bot-vm/{symbol}.csv" for symbol in HOURLY_UTC}
    covered |= {f"jeffreymalkus-alert-overlay/{symbol}_5min.csv" for symbol, _, _ in FIVE_MINUTE}
    covered |= {"lumibot/SPY_Minute_2021.csv", "lumibot/AAPL_Minute.csv", "lumibot/MSFT_Minute.csv"}
    covered |= {f"quantconnect-lean/Data/equity/usa/{name}" for name in LEAN_FILES}
    assert found == covered


def test_a_file_that_is_not_bars_is_refused_with_the_reason(lean):
    with pytest.raises(BarDataError, match="is a Lean factor file, not bars"):
        read_bar_file(lean / "factor_files" / "spy.csv")
    with pytest.raises(BarDataError, match="is a Lean map file, not bars"):
        read_bar_file(lean / "map_files" / "qqq.csv")
