"""import_bars: files into the store, with a summary."""

import pandas as pd
import pytest

from research_env.data import BarDataError, BarStore, import_bars, load_bars

from .builders import ny, write

HEADER = "timestamp,open,high,low,close,volume\n"


def test_import_writes_each_file_and_returns_a_summary(tmp_path, data_dir):
    first = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,10.5,7\n2024-01-03,11,12,10,11.5,8\n")
    second = write(
        tmp_path, "QQQ_5min.csv", HEADER + "2024-01-02 09:30,1,2,0.5,1.5,3\n2024-01-02 09:35,1,2,1,1,4\n"
    )
    summary = import_bars([first, second])
    assert summary.to_dict("records") == [
        {
            "symbol": "SPY",
            "timeframe": "1d",
            "rows": 2,
            "first": ny("2024-01-02 16:00"),
            "last": ny("2024-01-03 16:00"),
            "file": str(first),
        },
        {
            "symbol": "QQQ",
            "timeframe": "5m",
            "rows": 2,
            "first": ny("2024-01-02 09:35"),
            "last": ny("2024-01-02 09:40"),
            "file": str(second),
        },
    ]
    store = BarStore(data_dir)
    assert store.source("SPY", "1d") == "file:SPY.csv"
    assert store.read("QQQ", "5m")["close"].tolist() == [1.5, 1.0]


def test_import_passes_read_options_and_a_source_label(tmp_path, data_dir):
    path = write(tmp_path, "prices.csv", "Day,Last,Open,High,Low,Vol\n2024-01-02,10.5,10,11,9,7\n")
    import_bars(
        path, symbol="IWM", columns={"Day": "timestamp", "Last": "close", "Vol": "volume"}, source="vendor"
    )
    assert BarStore(data_dir).source("IWM", "1d") == "vendor"


def test_imported_files_feed_load_bars(tmp_path, data_dir):
    path = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,10.5,7\n")
    import_bars(path)
    data = load_bars("SPY", "2024-01-01", "2024-01-05", "1d", allow_demo=False)
    assert data.frames["SPY"]["close"].tolist() == [10.5]


def test_a_folder_is_refused_with_the_glob_fix(tmp_path, data_dir):
    with pytest.raises(BarDataError, match=r"is a folder; pass its files, e.g. `sorted\(Path\("):
        import_bars(tmp_path)


def test_real_files_import_and_merge(raw, data_dir):
    lean = raw / "quantconnect-lean" / "Data" / "equity" / "usa" / "minute" / "spy"
    with pytest.warns(UserWarning):
        summary = import_bars(sorted(lean.glob("2013*_trade.zip")))
    assert summary["rows"].tolist() == [390] * 6
    store = BarStore(data_dir)
    assert store.coverage()[["timeframe", "symbol", "rows"]].to_dict("records") == [
        {"timeframe": "1m", "symbol": "SPY", "rows": 2340}
    ]
    assert store.source("SPY", "1m") == " + ".join(
        f"file:201310{d:02d}_trade.zip" for d in (4, 7, 8, 9, 10, 11)
    )
    daily = load_bars("SPY", "2013-10-07", "2013-10-09", "1d", allow_demo=False)
    assert daily.sources == {"SPY": "local(1m→1d)"}
    assert daily.frames["SPY"].index.tolist() == [ny("2013-10-07 16:00"), ny("2013-10-08 16:00")]
    assert isinstance(daily.frames["SPY"], pd.DataFrame)
