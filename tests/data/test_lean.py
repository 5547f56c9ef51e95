"""QuantConnect Lean zips: deci-cent prices, NY stamps, minute ms-since-midnight, factor files."""

import pandas as pd
import pytest

from research_env.data import BarDataError, BarDataWarning, read_bar_file

from .builders import factor_rows, lean_rows, ny

NEW_YORK = "America/New_York"
pytestmark = pytest.mark.filterwarnings("ignore::research_env.data.BarDataWarning")

DAILY = [("aapl", 5849), ("goog", 4183), ("googl", 1761), ("iwm", 5244), ("qqq", 3964), ("spy", 5849)]
MINUTE = [
    "aapl/20140605",
    "aapl/20140606",
    "aapl/20140609",
    "spy/20131004",
    "spy/20131007",
    "spy/20131008",
    "spy/20131009",
    "spy/20131010",
    "spy/20131011",
    "spy/20230803",
]
FACTORS = ["aapl", "goog", "googl", "iwm", "qqq", "spy"]
# Every file of the Lean tree, relative to Data/equity/usa (read_raw checks nothing is left out).
LEAN_FILES = (
    [f"daily/{name}.zip" for name, _ in DAILY]
    + ["hour/aapl.zip", "hour/spy.zip"]
    + [f"minute/{name}_trade.zip" for name in MINUTE]
    + [f"factor_files/{name}.csv" for name in FACTORS]
    + [f"map_files/{name}.csv" for name in FACTORS]
)
OPEN_MS, CLOSE_MS = 34_200_000, 57_600_000  # 09:30 and 16:00 in ms since midnight


def _day(text: str) -> str:
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}"


def _prices(row: list[str]) -> dict:
    """Deci-cent integers to dollars, computed here independently."""
    return {
        "open": int(row[1]) / 10000,
        "high": int(row[2]) / 10000,
        "low": int(row[3]) / 10000,
        "close": int(row[4]) / 10000,
        "volume": float(row[5]),
    }


@pytest.mark.parametrize(("name", "rows"), DAILY)
def test_daily_zip_scales_deci_cents_and_stamps_the_session_close(lean, name, rows):
    path = lean / "daily" / f"{name}.zip"
    source = lean_rows(path)
    frame = read_bar_file(path)[name.upper()]
    assert len(frame) == rows == len(source)
    assert frame.index[0] == ny(f"{_day(source[0][0])} 16:00")
    assert frame.index[-1] == ny("2021-03-31 16:00")
    for i in (0, len(source) // 2, -1):
        assert frame.iloc[i].to_dict() == _prices(source[i])


def test_spy_daily_first_bar_is_97_31_dollars(lean):
    first = read_bar_file(lean / "daily" / "spy.zip")["SPY"].iloc[0]
    assert first.to_dict() == {
        "open": 97.31,
        "high": 97.53,
        "low": 96.53,
        "close": 97.36,
        "volume": 2150000.0,
    }


@pytest.mark.parametrize(("name", "rows"), [("spy", 40785), ("aapl", 40784)])
def test_hour_zip_bars_end_on_clock_hours_with_the_first_covering_09_30_to_10_00(lean, name, rows):
    path = lean / "hour" / f"{name}.zip"
    source = lean_rows(path)
    with pytest.warns(BarDataWarning, match=r"dropped 47 bar\(s\) outside regular sessions"):
        frame = read_bar_file(path)[name.upper()]
    assert len(frame) == rows
    assert frame.index[0] == ny("1998-01-02 10:00")  # the row stamped 09:00
    assert frame.iloc[0].to_dict() == _prices(source[0])
    assert frame.index[-1] == ny("2021-03-31 16:00")
    assert frame.iloc[-1].to_dict() == _prices(source[-1])


def test_hour_zip_on_an_early_close_day_keeps_bars_up_to_13_00(lean):
    frame = read_bar_file(lean / "hour" / "spy.zip", regular_hours=True)["SPY"]
    day = frame.index[frame.index.tz_convert(NEW_YORK).strftime("%Y-%m-%d") == "2019-11-29"]
    assert list(day.tz_convert(NEW_YORK).strftime("%H:%M")) == ["10:00", "11:00", "12:00", "13:00"]
    assert frame.loc[ny("2019-11-29 13:00"), "close"] == 314.31


@pytest.mark.parametrize("name", MINUTE)
def test_minute_zip_reads_ms_since_midnight_on_the_date_in_its_name(lean, name):
    folder, day = name.split("/")
    path = lean / "minute" / folder / f"{day}_trade.zip"
    source = lean_rows(path)
    regular = [row for row in source if OPEN_MS <= int(row[0]) < CLOSE_MS]
    dropped = len(source) - len(regular)
    with pytest.warns(BarDataWarning, match=rf"dropped {dropped} bar\(s\) outside regular sessions"):
        frame = read_bar_file(path)[folder.upper()]
    assert len(frame) == len(regular) == 390
    first_start = pd.Timestamp(_day(day)) + pd.Timedelta(milliseconds=int(regular[0][0]))
    assert frame.index[0] == ny(str(first_start + pd.Timedelta(minutes=1)))
    assert frame.index[-1] == ny(f"{_day(day)} 16:00")
    assert frame.iloc[0].to_dict() == _prices(regular[0])
    assert frame.iloc[-1].to_dict() == _prices(regular[-1])


def test_minute_zip_with_extended_hours_starts_at_04_00(lean):
    frame = read_bar_file(lean / "minute" / "spy" / "20131007_trade.zip", regular_hours=False)["SPY"]
    assert len(frame) == 828
    assert frame.index[0] == ny("2013-10-07 04:01")  # row 14400000 ms = 04:00 start
    assert frame.index[-1] == ny("2013-10-07 20:00")  # row 71940000 ms = 19:59 start


def _factor(lean, name: str, day: str) -> tuple[float, float]:
    """The factor row whose date is the first >= ``day`` (read independently)."""
    row = next(row for row in factor_rows(lean / "factor_files" / f"{name}.csv") if row[0] >= day)
    return float(row[1]), float(row[2])


@pytest.mark.parametrize("day", ["19980102", "20050224", "20050225", "20050228", "20140606", "20210331"])
def test_adjust_applies_the_first_factor_row_on_or_after_the_bar_date(lean, day):
    raw_row = next(row for row in lean_rows(lean / "daily" / "aapl.zip") if row[0].startswith(day))
    price_factor, split_factor = _factor(lean, "aapl", day)
    frame = read_bar_file(lean / "daily" / "aapl.zip", adjust=True)["AAPL"]
    bar = frame.loc[ny(f"{_day(day)} 16:00")]
    assert bar["close"] == pytest.approx(int(raw_row[4]) / 10000 * price_factor * split_factor, rel=1e-12)
    assert bar["volume"] == pytest.approx(int(raw_row[5]) / split_factor, rel=1e-12)


def test_adjusted_aapl_has_no_jump_at_the_2014_split_in_minute_data(lean):
    before = read_bar_file(lean / "minute" / "aapl" / "20140606_trade.zip", adjust=True)["AAPL"]
    after = read_bar_file(lean / "minute" / "aapl" / "20140609_trade.zip", adjust=True)["AAPL"]
    raw_after = read_bar_file(lean / "minute" / "aapl" / "20140609_trade.zip")["AAPL"]
    assert raw_after["open"].iloc[0] == 92.69
    assert after["open"].iloc[0] == pytest.approx(92.69 * 0.9011818 * 0.25, rel=1e-12)
    assert before["close"].iloc[-1] == pytest.approx(645.57 * 0.9011818 * 0.0357143, rel=1e-3)
    assert abs(after["open"].iloc[0] / before["close"].iloc[-1] - 1) < 0.02


def test_adjusted_googl_uses_its_own_factor_file(lean):
    raw_first = read_bar_file(lean / "daily" / "googl.zip")["GOOGL"]["close"].iloc[0]
    adjusted = read_bar_file(lean / "daily" / "googl.zip", adjust=True)["GOOGL"]["close"].iloc[0]
    assert raw_first == 571.5
    assert adjusted == pytest.approx(571.5 * 1 * 1, rel=1e-12)  # 2014-04-03 is after the 0.5 rows


def test_minute_zip_name_gives_the_date_and_its_folder_the_symbol(lean, tmp_path):
    renamed = tmp_path / "spy" / "trades.zip"
    renamed.parent.mkdir()
    renamed.write_bytes((lean / "minute" / "spy" / "20131004_trade.zip").read_bytes())
    with pytest.warns(BarDataWarning):  # the member name 20131004_spy_minute_trade.csv still dates it
        frame = read_bar_file(renamed)["SPY"]
    assert frame.index[0] == ny("2013-10-04 09:31")


def test_adjust_without_a_factor_file_names_the_places_looked(lean, tmp_path):
    copy = tmp_path / "daily" / "spy.zip"
    copy.parent.mkdir()
    copy.write_bytes((lean / "daily" / "spy.zip").read_bytes())
    with pytest.raises(BarDataError, match=r"needs the Lean factor file spy.csv .*Pass adjust=False"):
        read_bar_file(copy, adjust=True)


def test_adjust_on_a_non_lean_file_raises(raw):
    with pytest.raises(BarDataError, match="`adjust=True` applies only to QuantConnect Lean files"):
        read_bar_file(raw / "lumibot" / "SPY.csv", adjust=True)
