"""read_bar_file on small files: formats, options, and every bad input with its message."""

import gzip
import zipfile

import pandas as pd
import pytest

from research_env.data import BarDataError, BarDataWarning, read_bar_file

from .builders import ny, write

HEADER = "timestamp,open,high,low,close,volume\n"
NEW_YORK = "America/New_York"


def five_minute_rows(*clock: str, day: str = "2024-01-02") -> str:
    return "".join(f"{day} {c},10,11,9,10.5,100\n" for c in clock)


def test_columns_in_any_order_and_case_are_read_by_name(tmp_path):
    path = write(tmp_path, "SPY.csv", "VOLUME,close,Timestamp,LOW,high,Open\n7,10.5,2024-01-02,9,11,10\n")
    frame = read_bar_file(path)["SPY"]
    assert frame.iloc[0].to_dict() == {"open": 10.0, "high": 11.0, "low": 9.0, "close": 10.5, "volume": 7.0}
    assert frame.attrs["timeframe"] == "1d"


def test_columns_mapping_renames_and_ignores(tmp_path):
    text = "Bar Time,Open,High,Low,Last,Vol,VWAP\n2024-01-02,10,11,9,10.5,7,10.2\n"
    path = write(tmp_path, "SPY.csv", text)
    frame = read_bar_file(
        path, columns={"Bar Time": "timestamp", "last": "close", "Vol": "volume", "VWAP": None}
    )
    assert frame["SPY"]["close"].iloc[0] == 10.5


def test_unknown_columns_are_named_with_the_columns_fix(tmp_path):
    path = write(
        tmp_path, "SPY.csv", "Date,Open,High,Low,Close,Volume,VWAP\n2024-01-02,10,11,9,10.5,7,10.2\n"
    )
    with pytest.raises(
        BarDataError, match=r"has columns \['VWAP'\] that are not bar fields.*columns=\{'VWAP': None\}"
    ):
        read_bar_file(path)


def test_missing_columns_are_named(tmp_path):
    path = write(tmp_path, "SPY.csv", "Date,Open,High,Low,Close\n2024-01-02,10,11,9,10.5\n")
    with pytest.raises(BarDataError, match=r"lacks required columns \['volume'\].*name them with `columns=`"):
        read_bar_file(path)


def test_a_columns_key_not_in_the_file_is_named(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,10.5,7\n")
    with pytest.raises(BarDataError, match="`columns` names 'Last', which is not a column"):
        read_bar_file(path, columns={"Last": "close"})


def test_two_columns_for_one_field_are_refused(tmp_path):
    path = write(
        tmp_path, "SPY.csv", "Date,Time,Open,High,Low,Close,Volume\n2024-01-02,09:30,10,11,9,10.5,7\n"
    )
    with pytest.raises(BarDataError, match=r"has two timestamp columns, 'Date' and 'Time'; pick one"):
        read_bar_file(path)


def test_start_stamps_get_the_bar_length_added(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("09:30", "09:35", "15:55"))
    frame = read_bar_file(path)["SPY"]
    assert list(frame.index) == [ny("2024-01-02 09:35"), ny("2024-01-02 09:40"), ny("2024-01-02 16:00")]
    assert frame.attrs["timeframe"] == "5m"


def test_end_stamps_are_kept(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("09:35", "09:40", "16:00"))
    frame = read_bar_file(path, convention="end")["SPY"]
    assert list(frame.index) == [ny("2024-01-02 09:35"), ny("2024-01-02 09:40"), ny("2024-01-02 16:00")]


def test_last_hour_bar_starting_15_30_ends_at_the_close(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("13:30", "14:30", "15:30"))
    assert read_bar_file(path)["SPY"].index[-1] == ny("2024-01-02 16:00")


def test_naive_stamps_are_read_in_tz(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("14:30", "14:35"))
    frame = read_bar_file(path, tz="UTC")["SPY"]
    assert frame.index[0] == pd.Timestamp("2024-01-02 14:35", tz="UTC")


def test_offset_stamps_are_converted_whatever_tz_says(tmp_path):
    rows = "2024-07-01T09:30:00-04:00,10,11,9,10.5,1\n2024-07-01T09:35:00-04:00,10,11,9,10.5,1\n"
    path = write(tmp_path, "SPY.csv", HEADER + rows)
    frame = read_bar_file(path, tz="Asia/Tokyo")["SPY"]
    assert frame.index[0] == pd.Timestamp("2024-07-01 13:35", tz="UTC")


def test_naive_new_york_stamps_follow_daylight_saving(tmp_path):
    rows = five_minute_rows("09:30", "09:35", day="2024-03-08") + five_minute_rows("09:30", day="2024-03-11")
    frame = read_bar_file(write(tmp_path, "SPY.csv", HEADER + rows))["SPY"]
    assert frame.index[0] == pd.Timestamp("2024-03-08 14:35", tz="UTC")  # EST
    assert frame.index[-1] == pd.Timestamp("2024-03-11 13:35", tz="UTC")  # EDT


def test_date_only_stamps_are_daily_bars_at_the_session_close(tmp_path):
    rows = "2024-11-27,10,11,9,10.5,1\n2024-11-29,10,11,9,10.5,1\n"
    frame = read_bar_file(write(tmp_path, "SPY.csv", HEADER + rows))["SPY"]
    assert list(frame.index) == [ny("2024-11-27 16:00"), ny("2024-11-29 13:00")]


def test_daily_rows_on_a_holiday_are_dropped_with_a_warning(tmp_path):
    rows = "2024-07-03,10,11,9,10.5,1\n2024-07-04,10,11,9,10.5,1\n2024-07-05,10,11,9,10.5,1\n"
    path = write(tmp_path, "SPY.csv", HEADER + rows)
    with pytest.warns(
        BarDataWarning, match=r"dropped 1 daily bar\(s\) on days without an NYSE session, first at line 3"
    ):
        frame = read_bar_file(path)["SPY"]
    assert len(frame) == 2


def test_extended_hours_bars_are_counted_and_dropped(tmp_path):
    rows = five_minute_rows("08:00", "09:25", "09:30", "15:55", "16:00", "19:55")
    path = write(tmp_path, "SPY.csv", HEADER + rows)
    with pytest.warns(
        BarDataWarning, match=r"dropped 4 bar\(s\) outside regular sessions.*regular_hours=False"
    ):
        frame = read_bar_file(path)["SPY"]
    assert list(frame.index) == [ny("2024-01-02 09:35"), ny("2024-01-02 16:00")]
    kept = read_bar_file(path, regular_hours=False)["SPY"]
    assert list(kept.index)[0] == ny("2024-01-02 08:05")
    assert list(kept.index)[-1] == ny("2024-01-02 20:00")


def test_bars_after_an_early_close_are_extended_hours(tmp_path):
    rows = five_minute_rows("12:50", "12:55", "13:00", day="2024-11-29")
    with pytest.warns(BarDataWarning, match=r"dropped 1 bar\(s\)"):
        frame = read_bar_file(write(tmp_path, "SPY.csv", HEADER + rows))["SPY"]
    assert frame.index[-1] == ny("2024-11-29 13:00")


def test_descending_file_is_reversed_with_a_warning(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("09:40", "09:35", "09:30"))
    with pytest.warns(BarDataWarning, match=r"SPY\) is sorted newest first; reversed it"):
        frame = read_bar_file(path)["SPY"]
    assert frame.index.is_monotonic_increasing and len(frame) == 3


def test_out_of_order_row_is_named_by_its_line(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("09:30", "09:40", "09:35", "09:45"))
    with pytest.raises(
        BarDataError, match=r"line 4 \('2024-01-02 09:35'\) is earlier than line 3 \('2024-01-02 09:40'\)"
    ):
        read_bar_file(path)


def test_duplicate_stamps_are_named_by_their_lines(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("09:30", "09:35", "09:35"))
    with pytest.raises(BarDataError, match=r"duplicate timestamp '2024-01-02 09:35' at line 3 and line 4"):
        read_bar_file(path)


def test_nan_price_is_named_by_its_line(tmp_path):
    path = write(
        tmp_path, "SPY.csv", HEADER + "2024-01-02 09:30,10,11,9,,100\n2024-01-02 09:35,10,11,9,10,1\n"
    )
    with pytest.raises(BarDataError, match=r"`.*SPY.csv`, symbol SPY: NaN price at line 2"):
        read_bar_file(path)


def test_non_positive_price_is_named_by_its_line(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,10,1\n2024-01-03,0,11,0,10,1\n")
    with pytest.raises(BarDataError, match=r"symbol SPY: non-positive price at line 3"):
        read_bar_file(path)


def test_high_below_low_is_named_by_its_line(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,9,11,10,1\n")
    with pytest.raises(BarDataError, match=r"symbol SPY: high < low at line 2 .*\(high=9.0, low=11.0\)"):
        read_bar_file(path)


def test_text_in_a_price_column_is_named(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,n/a,1\n")
    with pytest.raises(BarDataError, match=r"close='n/a' at line 2 is not a number"):
        read_bar_file(path)


def test_junk_row_with_an_empty_timestamp_is_skipped_with_a_warning(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + ",Spy,Spy,Spy,Spy,Spy\n2024-01-02,10,11,9,10,1\n\n")
    with pytest.warns(
        BarDataWarning, match=r"skipped 1 row\(s\) with an empty timestamp: line 2 \(',Spy,Spy"
    ):
        frame = read_bar_file(path)["SPY"]
    assert len(frame) == 1


def test_mixed_naive_and_offset_stamps_are_refused(tmp_path):
    rows = "2024-01-02 09:30,10,11,9,10,1\n2024-01-02 09:35-05:00,10,11,9,10,1\n"
    with pytest.raises(BarDataError, match=r"line 3 '2024-01-02 09:35-05:00' has a UTC offset but line 2"):
        read_bar_file(write(tmp_path, "SPY.csv", HEADER + rows))


def test_unreadable_stamp_is_named(tmp_path):
    rows = "2024-01-02,10,11,9,10,1\nyesterday,10,11,9,10,1\n"
    with pytest.raises(BarDataError, match=r"unreadable time stamp 'yesterday' at line 3"):
        read_bar_file(write(tmp_path, "SPY.csv", HEADER + rows))


def test_a_local_time_that_daylight_saving_repeats_is_refused(tmp_path):
    rows = "2024-11-03 01:25,10,11,9,10,1\n2024-11-03 01:30,10,11,9,10,1\n"
    with pytest.raises(
        BarDataError, match=r"ambiguous or non-existent local time '2024-11-03 01:25' at line 2"
    ):
        read_bar_file(write(tmp_path, "SPY.csv", HEADER + rows), regular_hours=False)


def test_file_without_a_header_is_refused(tmp_path):
    with pytest.raises(BarDataError, match="has no header row"):
        read_bar_file(write(tmp_path, "SPY.csv", "2024-01-02,10,11,9,10,1\n"))


def test_semicolon_separated_file_is_read(tmp_path):
    path = write(tmp_path, "SPY.csv", "Date;Open;High;Low;Close;Volume\n2024-01-02;10;11;9;10.5;7\n")
    assert read_bar_file(path)["SPY"]["close"].iloc[0] == 10.5


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("AAPL_5min.csv", "AAPL"),
        ("SPY_Minute_2021.csv", "SPY"),
        ("yahoofinance-AAPL-20040819-20180120.csv", "AAPL"),
        ("spy/20131011_trade.csv", "SPY"),
        ("msft.csv", "MSFT"),
    ],
)
def test_symbol_comes_from_the_file_name(tmp_path, name, symbol):
    path = write(tmp_path, name, HEADER + "2024-01-02,10,11,9,10,1\n")
    assert list(read_bar_file(path)) == [symbol]


def test_symbol_that_cannot_be_inferred_must_be_given(tmp_path):
    path = write(tmp_path, "2024-01-02.csv", HEADER + "2024-01-02,10,11,9,10,1\n")
    with pytest.raises(BarDataError, match="cannot tell the symbol of .* pass `symbol=`"):
        read_bar_file(path)
    assert list(read_bar_file(path, symbol="iwm")) == ["IWM"]


def test_timeframe_is_inferred_from_the_most_common_spacing(tmp_path):
    rows = five_minute_rows("09:30", "09:45", "10:00", "10:15", "10:20")
    assert read_bar_file(write(tmp_path, "SPY.csv", HEADER + rows))["SPY"].attrs["timeframe"] == "15m"


def test_spacing_that_is_no_timeframe_asks_for_one(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("09:30", "09:32", "09:34"))
    with pytest.raises(BarDataError, match="most common bar spacing is 2 minutes.*pass `timeframe=`"):
        read_bar_file(path)


def test_a_single_intraday_bar_needs_a_timeframe(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("09:30"))
    with pytest.raises(BarDataError, match="single bar, too few to infer its timeframe; pass `timeframe=`"):
        read_bar_file(path)
    assert read_bar_file(path, timeframe="30m")["SPY"].index[0] == ny("2024-01-02 10:00")


def test_a_timeframe_the_spacing_contradicts_warns(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + five_minute_rows("09:30", "09:35", "09:40"))
    with pytest.warns(BarDataWarning, match=r"`timeframe`='1m' but its bars are mostly 5m apart"):
        read_bar_file(path, timeframe="1m")
    with pytest.raises(BarDataError, match=r"`timeframe`='1d' but its bars are mostly 5m apart"):
        read_bar_file(path, timeframe="1d")


def test_daily_dates_with_an_intraday_timeframe_are_refused(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,10,1\n")
    with pytest.raises(BarDataError, match=r"holds dates without times \(daily bars\) but `timeframe`='5m'"):
        read_bar_file(path, timeframe="5m")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"convention": "middle"}, "`convention`='middle'; use 'start'"),
        ({"fmt": "xlsx"}, "`fmt`='xlsx'; use one of auto, csv, parquet, lean, polygon"),
        ({"tz": "Mars/Olympus"}, "`tz`='Mars/Olympus' is not a time zone"),
        ({"timeframe": "2h"}, "`timeframe`='2h' is not a timeframe"),
        ({"symbol": "S P Y"}, "`symbol`='S P Y' is not a ticker"),
        ({"columns": ["open"]}, "`columns` must be a dict"),
    ],
)
def test_bad_options_are_named(tmp_path, option, message):
    path = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,10,1\n")
    with pytest.raises(BarDataError, match=message):
        read_bar_file(path, **option)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(BarDataError, match="nothing.csv` does not exist"):
        read_bar_file(tmp_path / "nothing.csv")


def _polygon_text(window_start: pd.Timestamp, minutes: list[int]) -> str:
    lines = ["ticker,volume,open,close,high,low,window_start,transactions"]
    for ticker, base in (("AAPL", 190.0), ("MSFT", 370.0)):
        for m in minutes:
            ns = (window_start + pd.Timedelta(minutes=m)).value
            lines.append(
                f"{ticker},{1000 + m},{base + m},{base + m + 0.5},{base + m + 1},{base + m - 1},{ns},{7}"
            )
    return "\n".join(lines) + "\n"


def test_polygon_flat_file_gives_one_frame_per_ticker(tmp_path):
    path = tmp_path / "2024-01-02.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(_polygon_text(ny("2024-01-02 09:30"), [-1, 0, 1, 389, 390]))
    with pytest.warns(BarDataWarning, match=r"dropped 4 bar\(s\) outside regular sessions"):
        frames = read_bar_file(path)
    assert sorted(frames) == ["AAPL", "MSFT"]
    aapl = frames["AAPL"]
    assert list(aapl.index) == [ny("2024-01-02 09:31"), ny("2024-01-02 09:32"), ny("2024-01-02 16:00")]
    assert aapl.iloc[0].to_dict() == {
        "open": 190.0,
        "high": 191.0,
        "low": 189.0,
        "close": 190.5,
        "volume": 1000.0,
    }
    assert frames["MSFT"]["open"].iloc[-1] == 370.0 + 389


def test_polygon_symbol_option_selects_one_ticker(tmp_path):
    path = write(tmp_path, "flat.csv", _polygon_text(ny("2024-01-02 09:30"), [0, 1]))
    assert list(read_bar_file(path, symbol="msft")) == ["MSFT"]
    with pytest.raises(BarDataError, match=r"has no rows for TSLA; it has \['AAPL', 'MSFT'\]"):
        read_bar_file(path, symbol="TSLA")


def test_polygon_day_aggregates_at_new_york_midnight_are_daily_bars(tmp_path):
    text = _polygon_text(pd.Timestamp("2024-01-02", tz=NEW_YORK), [0, 1440])
    frames = read_bar_file(write(tmp_path, "day_aggs.csv", text), fmt="polygon")
    assert list(frames["AAPL"].index) == [ny("2024-01-02 16:00"), ny("2024-01-03 16:00")]


def test_polygon_format_on_another_file_is_refused(tmp_path):
    path = write(tmp_path, "SPY.csv", HEADER + "2024-01-02,10,11,9,10,1\n")
    with pytest.raises(BarDataError, match=r"is not a Polygon flat file: it lacks \['ticker'"):
        read_bar_file(path, fmt="polygon")


def test_parquet_with_a_date_index_is_read(tmp_path):
    frame = pd.DataFrame(
        {
            "Open": [10.0, 11.0],
            "High": [11.0, 12.0],
            "Low": [9.0, 10.0],
            "Close": [10.5, 11.5],
            "Volume": [5, 6],
        },
        index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="Date"),
    )
    frame.to_parquet(tmp_path / "QQQ.parquet")
    result = read_bar_file(tmp_path / "QQQ.parquet")["QQQ"]
    assert list(result.index) == [ny("2024-01-02 16:00"), ny("2024-01-03 16:00")]
    assert result["volume"].tolist() == [5.0, 6.0]


def test_parquet_with_utc_timestamps_and_end_convention(tmp_path):
    frame = pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex([ny("2024-01-02 10:30"), ny("2024-01-02 11:30")]),
            "open": [1.0, 2.0],
            "high": [1.0, 2.0],
            "low": [1.0, 2.0],
            "close": [1.0, 2.0],
            "volume": [1.0, 2.0],
        }
    )
    frame.to_parquet(tmp_path / "SPY_1h.parquet")
    result = read_bar_file(tmp_path / "SPY_1h.parquet", convention="end")["SPY"]
    assert list(result.index) == [ny("2024-01-02 10:30"), ny("2024-01-02 11:30")]
    assert result.attrs["timeframe"] == "1h"


def test_zip_holding_a_csv_with_a_header_is_read_as_csv(tmp_path):
    path = tmp_path / "GLD.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("GLD.csv", HEADER + "2024-01-02,10,11,9,10,1\n")
    assert read_bar_file(path)["GLD"]["close"].iloc[0] == 10.0


def test_zip_with_several_files_is_refused(tmp_path):
    path = tmp_path / "GLD.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", HEADER)
        archive.writestr("b.csv", HEADER)
    with pytest.raises(BarDataError, match="holds 2 files"):
        read_bar_file(path)


def test_lean_rows_without_a_dated_name_are_refused(tmp_path):
    path = write(tmp_path, "spy/trades.csv", "34200000,1000000,1000000,1000000,1000000,5\n")
    with pytest.raises(BarDataError, match="its name carries no date; keep Lean's name"):
        read_bar_file(path)
