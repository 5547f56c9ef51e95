"""import_bars: files into the store, with a summary."""

import pandas as pd
import pytest

from research_env.data import BarDataError, BarImportError, BarStore, import_bars, load_bars

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
            "replaced": 0,
            "changed": 0,
            "first": ny("2024-01-02 16:00"),
            "last": ny("2024-01-03 16:00"),
            "file": str(first),
        },
        {
            "symbol": "QQQ",
            "timeframe": "5m",
            "rows": 2,
            "replaced": 0,
            "changed": 0,
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
    data = load_bars("SPY", "2024-01-01", "2024-01-03", "1d", allow_demo=False)
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


def test_an_overlapping_import_says_how_many_stored_bars_it_replaced_and_dry_run_writes_nothing(tmp_path, data_dir):
    old = write(tmp_path, "a/SPY.csv", HEADER + "2024-01-02,10,11,9,10,7\n2024-01-03,11,12,10,11,8\n")
    new = write(tmp_path, "b/SPY.csv", HEADER + "2024-01-03,22,24,20,22,8\n2024-01-04,12,13,11,12,9\n")
    import_bars(old)
    preview = import_bars(new, dry_run=True)
    assert preview[["symbol", "rows", "replaced", "changed"]].to_dict("records") == [
        {"symbol": "SPY", "rows": 2, "replaced": 1, "changed": 1}]
    store = BarStore(data_dir)
    assert store.read("SPY", "1d")["close"].tolist() == [10.0, 11.0]
    assert import_bars(new)[["replaced", "changed"]].to_dict("records") == [{"replaced": 1, "changed": 1}]
    assert store.read("SPY", "1d")["close"].tolist() == [10.0, 22.0, 12.0]
    assert import_bars(new)[["replaced", "changed"]].to_dict("records") == [{"replaced": 2, "changed": 0}]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2024-01-03,1e300,1e300,1e300,1e300,8", r"price 1e\+300 at line 3 \(2024-01-03 21:00:00\+00:00\) is beyond "
                                                 r"10,000,000, which no market quotes; fix or drop that row"),
        ("2024-01-03,11,inf,10,11,8", r"price inf at line 3 .* is beyond 10,000,000"),
        ("2024-01-03,11,12,10,11,inf", r"volume inf at line 3 .*; volume must be a finite number from 0 to 1e\+15"),
        ("2024-01-03,11,12,10,11,-5", r"volume -5.0 at line 3 .*; volume must be a finite number from 0 to 1e\+15"),
        ("2024-01-03,11,12,10,11,1e16", r"volume 1e\+16 at line 3"),
        ("2024-01-03,-11,12,10,11,8", r"non-positive price at line 3"),
    ],
)
def test_absurd_values_are_refused_naming_the_file_and_line(tmp_path, data_dir, row, message):
    path = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,10.5,7\n" + row + "\n")
    with pytest.raises(BarDataError, match=rf"^`{path}`, symbol SPY: {message}"):
        import_bars(path)
    assert BarStore(data_dir).timeframes("SPY") == []


def test_a_batch_import_stores_the_good_files_and_says_which_were_refused(tmp_path, data_dir):
    good = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,10.5,7\n")
    bad = write(tmp_path, "QQQ.csv", HEADER + "2024-01-02,10,11,9,1e300,7\n")
    other = write(tmp_path, "IWM.csv", HEADER + "2024-01-02,20,21,19,20.5,7\n2024-01-03,20,21,19,20.5,7\n")
    with pytest.raises(BarImportError) as caught:
        import_bars([good, bad, tmp_path / "missing.csv", other])
    error = caught.value
    assert str(error) == "\n".join([
        "stored 2 of 4 files; refused 2:",
        f"  refused `{bad}`: `{bad}`, symbol QQQ: price 1e+300 at line 2 (2024-01-02 21:00:00+00:00) is beyond "
        "10,000,000, which no market quotes; fix or drop that row (a wrong column or unit?)",
        f"  refused `{tmp_path / 'missing.csv'}`: `{tmp_path / 'missing.csv'}` does not exist or is not a file",
        f"  stored `{good}` (SPY 1d 1 rows)",
        f"  stored `{other}` (IWM 1d 2 rows)",
        "fix the refused files and import them again (the stored ones need no second import)",
    ])
    assert error.stored["file"].tolist() == [str(good), str(other)]
    assert list(error.refused) == [str(bad), str(tmp_path / "missing.csv")]
    assert isinstance(error, BarDataError)
    assert BarStore(data_dir).symbols() == ["IWM", "SPY"]
