"""S3FlatFiles: Massive flat files read from a real S3-compatible server (moto), the local cache, the failures."""

from __future__ import annotations

import gzip
import io
import time

import numpy as np
import pandas as pd
import pytest

from research_env.data import BarDataError, BarStore, read_bar_file, session_dates
from research_env.data._errors import SourceUnavailableError
from research_env.data._gaps import today
from research_env.data.sources import S3FlatFiles, clear_s3_cache
from research_env.data.sources._flatfiles import day_rows
from research_env.settings import load_settings
from tests.flat_files import DECOY, FLAT_HEADER, flat_file, flat_key
from tests.s3_server import free_port

pytestmark = pytest.mark.usefixtures("s3_env")

D = np.datetime64
JULY = (D("2021-07-01"), D("2021-07-10"))  # 07-03/04 a weekend, 07-05 Independence Day observed
JULY_SESSIONS = [D(f"2021-07-{day:02d}") for day in (1, 2, 6, 7, 8, 9)]
SECRET = "do-not-show-this-secret-0123456789"


def make_source(endpoint: str, bucket: str, cache: BarStore, **options) -> S3FlatFiles:
    defaults = dict(access_key_id="testing", secret_access_key="testing", region="us-east-1", connect_timeout=2.0,
                    read_timeout=10.0, attempts=1)
    return S3FlatFiles(bucket, endpoint=endpoint, cache=cache, **{**defaults, **options})


def dead_endpoint() -> str:
    return f"http://127.0.0.1:{free_port()}"


def requested(source: S3FlatFiles) -> list[str]:
    """The keys of every GetObject call the source's client makes from now on."""
    keys: list[str] = []
    source.client.meta.events.register("before-parameter-build.s3.GetObject",
                                       lambda params, **_: keys.append(params["Key"]))
    return keys


def minute_keys(days) -> list[str]:
    return [flat_key("us_stocks_sip", "minute_aggs_v1", day) for day in days]


def within(frame: pd.DataFrame, first: np.datetime64, stop: np.datetime64) -> pd.DataFrame:
    dates = session_dates(frame.index)
    return frame[(dates >= first) & (dates < stop)]


def cached_sessions(cache: BarStore, symbol: str, timeframe: str) -> list[np.datetime64]:
    return list(np.unique(session_dates(cache.read(symbol, timeframe).index)))


@pytest.fixture(scope="module")
def spy_minutes(shared_data) -> pd.DataFrame:
    return read_bar_file(shared_data / "bars" / "1m" / "SPY.csv")["SPY"]


@pytest.fixture()
def cache(tmp_path) -> BarStore:
    return BarStore(tmp_path / "data" / "cache" / "s3")


@pytest.fixture()
def source(flat_files, cache) -> S3FlatFiles:
    return make_source(flat_files.server.endpoint, flat_files.name, cache)


@pytest.mark.filterwarnings("error")
def test_minute_read_is_the_shared_file_on_exactly_the_sessions_asked_for(source, cache, spy_minutes):
    keys = requested(source)
    frame, cached = source.read("spy", "1m", *JULY)
    assert cached is False
    # regular hours only (the files' 08:00 and 16:00 bars are left out), no SPYX row, bit for bit
    pd.testing.assert_frame_equal(frame, within(spy_minutes, *JULY), check_exact=True)
    assert sorted(keys) == minute_keys(JULY_SESSIONS)
    assert cached_sessions(cache, "SPY", "1m") == JULY_SESSIONS
    assert cache.source("SPY", "1m") == "s3://flatfiles/us_stocks_sip"


def test_one_day_keeps_only_the_symbols_regular_hours_rows(flat_rows, spy_minutes):
    day = D("2021-07-07")
    rows = flat_rows.minute[flat_rows.minute["day"] == day]
    found = day_rows(io.BytesIO(flat_file(rows)), "SPY", "1m", day, "s3://flatfiles/one-day")
    assert found.header == ",".join(FLAT_HEADER).encode()
    assert {line.split(b",")[0] for line in found.lines} == {b"SPY"}
    spy_rows = int((rows["ticker"] == "SPY").sum())  # its regular bars plus 4 pre-market and after-hours ones
    assert len(found.lines) == len(within(spy_minutes, day, day + 1)) == spy_rows - 4


def test_a_second_read_comes_from_the_cache_without_a_request(source, cache, spy_minutes):
    first, _ = source.read("SPY", "1m", *JULY)
    keys = requested(source)
    again, cached = source.read("SPY", "1m", *JULY)
    offline, offline_cached = make_source(dead_endpoint(), "flatfiles", cache).read("SPY", "1m", *JULY)
    assert (cached, offline_cached, keys) == (True, True, [])
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    pd.testing.assert_frame_equal(offline, first, check_exact=True)


def test_a_wider_range_fetches_only_the_sessions_the_cache_lacks(source, spy_minutes):
    source.read("SPY", "1m", D("2021-07-06"), D("2021-07-08"))
    keys = requested(source)
    frame, cached = source.read("SPY", "1m", *JULY)
    assert cached is False
    assert sorted(keys) == minute_keys([D("2021-07-01"), D("2021-07-02"), D("2021-07-08"), D("2021-07-09")])
    pd.testing.assert_frame_equal(frame, within(spy_minutes, *JULY), check_exact=True)


def test_daily_reads_are_the_shared_daily_bars_and_the_decoy_never_leaks(source, cache, shared_data):
    first, stop = D("2024-02-01"), D("2024-03-01")
    symbols = ["AAPL", "GLD", "QQQ", "SPY", "TSLA"]
    for symbol in symbols:
        frame, cached = source.read(symbol, "1d", first, stop)
        expected = read_bar_file(shared_data / "bars" / "1d" / f"{symbol}.csv")[symbol]
        assert cached is False
        assert len(frame) == 20  # February 2024 has 20 sessions (19th: Presidents' Day)
        pd.testing.assert_frame_equal(frame, within(expected, first, stop), check_exact=True)
    assert cache.symbols() == symbols
    decoy, _ = source.read(DECOY, "1d", first, stop)
    spy = cache.read("SPY", "1d")
    assert decoy.index.equals(spy.index)
    np.testing.assert_array_equal(decoy["close"].to_numpy(), spy["close"].to_numpy() * 2)


def test_missing_days_are_left_out_without_an_error(make_flat_bucket, cache, spy_minutes):
    bucket = make_flat_bucket("2021-07-06", "2021-07-10")
    bucket.server.client().delete_object(Bucket=bucket.name, Key=minute_keys([D("2021-07-07")])[0])
    source = make_source(bucket.server.endpoint, bucket.name, cache)
    frame, cached = source.read("SPY", "1m", *JULY)  # 07-01 and 07-02 are not in this bucket either
    kept = [D("2021-07-06"), D("2021-07-08"), D("2021-07-09")]
    assert cached is False
    assert list(np.unique(session_dates(frame.index))) == kept
    expected = within(spy_minutes, *JULY)
    pd.testing.assert_frame_equal(frame, expected[np.isin(session_dates(expected.index), kept)], check_exact=True)
    keys = requested(source)
    assert source.read("SPY", "1m", *JULY)[1] is False  # a day without a file may be published later: asked again
    assert sorted(keys) == minute_keys([D("2021-07-01"), D("2021-07-02"), D("2021-07-07")])


def test_sessions_whose_files_hold_no_row_of_the_symbol_are_not_fetched_again(source, cache):
    first, stop = D("2024-02-01"), D("2024-03-01")
    keys = requested(source)
    frame, cached = source.read("NOPE", "1d", first, stop)
    assert (frame.empty, cached, len(keys)) == (True, False, 20)
    frame, cached = source.read("NOPE", "1d", first, stop)
    assert (frame.empty, cached, len(keys)) == (True, True, 20)
    assert clear_s3_cache(cache, "NOPE") == [cache.root / "empty" / "1d" / "NOPE.txt"]
    assert source.read("NOPE", "1d", first, stop)[1] is False
    assert len(keys) == 40


def test_weekends_holidays_today_on_and_other_timeframes_make_no_request(cache):
    source = make_source(dead_endpoint(), "flatfiles", cache)
    for timeframe, first, stop in [("5m", *JULY), ("1h", *JULY), ("1m", D("2021-07-03"), D("2021-07-06")),
                                   ("1d", today(), today() + 30)]:
        frame, cached = source.read("SPY", timeframe, first, stop)
        assert (frame.empty, cached) == (True, True), timeframe
    assert source.timeframes("SPY") == ["1m", "1d"]


def test_clear_s3_cache_deletes_one_symbol_or_all_and_never_another_store(flat_files, tmp_path, spy_minutes):
    user = BarStore(tmp_path / "data")
    user.write("SPY", "1m", within(spy_minutes, *JULY), "file:SPY.csv")
    user_files = {path: path.read_bytes() for path in (tmp_path / "data" / "bars").rglob("*.parquet")}
    cache = BarStore(tmp_path / "data" / "cache" / "s3")
    source = make_source(flat_files.server.endpoint, flat_files.name, cache)
    source.read("SPY", "1m", *JULY)
    source.read("SPY", "1d", D("2024-02-01"), D("2024-02-10"))
    source.read("AAPL", "1d", D("2024-02-01"), D("2024-02-10"))
    cache_root = tmp_path / "data" / "cache" / "s3" / "bars"

    assert sorted(clear_s3_cache(cache, "spy")) == [cache_root / "1d/SPY/2024.parquet",
                                                    cache_root / "1m/SPY/2021.parquet"]
    assert cache.symbols() == ["AAPL"]
    assert clear_s3_cache(cache, "MSFT") == []
    assert source.clear_cache() == [cache_root / "1d/AAPL/2024.parquet"]
    assert (clear_s3_cache(cache), cache.symbols()) == ([], [])
    assert {path: path.read_bytes() for path in (tmp_path / "data" / "bars").rglob("*.parquet")} == user_files
    assert user.symbols() == ["SPY"]


@pytest.mark.parametrize("wrong", ["key id", "secret"])
def test_bad_credentials_are_refused_naming_bucket_and_endpoint_never_the_keys(s3_auth_server, cache, wrong):
    server = s3_auth_server
    make_source(server.endpoint, "flatfiles", cache, access_key_id=server.access_key_id,
                secret_access_key=server.secret_access_key).check()  # the server's own key is accepted
    key_id = "AKIAUNKNOWNKEY000000" if wrong == "key id" else server.access_key_id
    source = make_source(server.endpoint, "flatfiles", cache, access_key_id=key_id, secret_access_key=SECRET)
    for attempt in (source.check, lambda: source.read("SPY", "1m", *JULY)):
        with pytest.raises(SourceUnavailableError) as caught:
            attempt()
        message = str(caught.value)
        assert caught.value.source == "s3"
        assert "flatfiles" in message and server.endpoint in message
        assert "refused the credentials" in message and "AWS_ACCESS_KEY_ID" in message
        assert SECRET not in message and key_id not in message
    assert SECRET not in repr(source) and key_id not in repr(source)


def test_a_missing_bucket_is_unavailable(s3_server, cache):
    source = make_source(s3_server.endpoint, "no-such-bucket", cache)
    for attempt in (source.check, lambda: source.read("SPY", "1d", D("2024-02-01"), D("2024-02-03"))):
        with pytest.raises(SourceUnavailableError, match="bucket does not exist") as caught:
            attempt()
        assert "`no-such-bucket`" in str(caught.value) or "s3://no-such-bucket/" in str(caught.value)
        assert s3_server.endpoint in str(caught.value) and "RESEARCH_ENV_S3_BUCKET" in str(caught.value)


def test_an_unreachable_endpoint_fails_fast(cache):
    endpoint = dead_endpoint()
    source = make_source(endpoint, "flatfiles", cache, connect_timeout=1.0)
    started = time.monotonic()
    for attempt in (source.check, lambda: source.read("SPY", "1m", *JULY)):
        with pytest.raises(SourceUnavailableError, match="cannot reach the endpoint") as caught:
            attempt()
        assert endpoint in str(caught.value) and "flatfiles" in str(caught.value)
        assert "RESEARCH_ENV_S3_ENDPOINT" in str(caught.value)
    assert time.monotonic() - started < 5
    assert cache.symbols() == []


def test_a_malformed_endpoint_is_unavailable(cache):
    with pytest.raises(SourceUnavailableError, match="endpoint 'not a url' is not usable"):
        make_source("not a url", "flatfiles", cache).check()


def _not_gzip(body: bytes) -> bytes:
    return b"<html>not a flat file</html>"


def _truncated(body: bytes) -> bytes:
    return body[: len(body) // 2]


def _other_columns(body: bytes) -> bytes:
    return gzip.compress(b"symbol,price,time\nSPY,430.1,1625578200000000000\n")


@pytest.mark.parametrize(("damage", "problem"), [
    (_not_gzip, "is not a readable gzip file"),
    (_truncated, "is not a readable gzip file"),
    (_other_columns, "is not a Massive/Polygon flat file"),
])
def test_a_damaged_object_is_an_error_naming_its_key(make_flat_bucket, cache, damage, problem):
    bucket = make_flat_bucket("2021-07-06", "2021-07-09")
    client = bucket.server.client()
    key = minute_keys([D("2021-07-07")])[0]
    client.put_object(Bucket=bucket.name, Key=key, Body=damage(client.get_object(Bucket=bucket.name, Key=key)
                                                                ["Body"].read()))
    source = make_source(bucket.server.endpoint, bucket.name, cache)
    with pytest.raises(BarDataError, match=problem) as caught:
        source.read("SPY", "1m", D("2021-07-06"), D("2021-07-09"))
    assert f"`s3://{bucket.name}/{key}`" in str(caught.value)
    assert not isinstance(caught.value, SourceUnavailableError)
    assert cache.symbols() == []


def test_from_settings_needs_a_bucket_and_keeps_the_keys_out_of_repr(tmp_path, cache):
    def settings(**environment):
        return load_settings(environ=environment, cwd=tmp_path, user_config=tmp_path / "absent.toml")

    assert S3FlatFiles.from_settings(settings(), cache) is None
    source = S3FlatFiles.from_settings(settings(
        RESEARCH_ENV_S3_BUCKET="flatfiles", RESEARCH_ENV_S3_ENDPOINT="https://files.example.com",
        RESEARCH_ENV_S3_PREFIX="us_options_opra", RESEARCH_ENV_S3_WORKERS="3",
        RESEARCH_ENV_S3_ACCESS_KEY_ID="AKIAFROMSETTINGS", RESEARCH_ENV_S3_SECRET_ACCESS_KEY=SECRET), cache)
    assert (source.name, source.bucket, source.prefix, source.endpoint, source.workers, source.cache) == (
        "s3", "flatfiles", "us_options_opra", "https://files.example.com", 3, cache)
    assert repr(source) == (f"S3FlatFiles(bucket='flatfiles', prefix='us_options_opra', "
                            f"endpoint='https://files.example.com', cache={cache!r})")


def test_a_message_never_echoes_the_keys(cache):
    source = make_source("not a url " + SECRET, "flatfiles", cache, secret_access_key=SECRET)
    with pytest.raises(SourceUnavailableError) as caught:
        source.check()
    assert SECRET not in str(caught.value)
