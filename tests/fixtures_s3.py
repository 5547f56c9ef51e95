"""A real S3-compatible server for the tests (moto's standalone server on loopback), and flat files on it.

``s3_server`` (no authentication) and ``s3_auth_server`` (only its own key accepted) run once per
session; ``flat_files`` is a bucket of Massive flat files written from ``../shared/data/bars``;
``make_flat_bucket`` writes a fresh bucket a test may change. ``s3_env`` keeps real AWS settings away.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from tests.flat_files import daily_rows, minute_rows, put_flat_files, with_decoy_and_extended_hours
from tests.s3_server import REGION, TEST_KEYS, S3Server

PREFIX = "us_stocks_sip"
#: The daily flat files written: every symbol of ``bars/1d`` on these sessions.
DAILY_RANGE = ("2024-01-01", "2024-04-01")
_numbers = itertools.count()


class FlatBucket(NamedTuple):
    """A bucket of flat files on ``server``: its name, prefix and the days of each dataset written."""

    server: S3Server
    name: str
    prefix: str
    minute_days: list[np.datetime64]
    daily_days: list[np.datetime64]


class FlatRows(NamedTuple):
    """The rows of the flat files: SPY minutes and every daily symbol, with the decoy and extended hours."""

    minute: pd.DataFrame
    daily: pd.DataFrame


@pytest.fixture()
def s3_env(monkeypatch) -> None:
    """Test credentials only: ``AWS_ACCESS_KEY_ID=testing`` etc., no profile, config file or endpoint."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_KEYS[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_KEYS[1])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server without authentication (any key is accepted), for the whole session."""
    with S3Server() as server:
        yield server


@pytest.fixture(scope="session")
def s3_auth_server() -> Iterator[S3Server]:
    """moto's S3 server that accepts only its own IAM key (``access_key_id``/``secret_access_key``)."""
    with S3Server(auth=True) as server:
        server.client().create_bucket(Bucket="flatfiles")
        yield server


@pytest.fixture(scope="session")
def flat_rows(shared_data) -> FlatRows:
    """SPY's 1-minute bars of ``bars/1m/SPY.csv`` and every symbol's daily bars in ``DAILY_RANGE``."""
    minute = minute_rows(shared_data / "bars" / "1m" / "SPY.csv")
    daily = daily_rows(sorted((shared_data / "bars" / "1d").glob("*.csv")))
    first, stop = (np.datetime64(day) for day in DAILY_RANGE)
    daily = daily[(daily["day"] >= first) & (daily["day"] < stop)]
    return FlatRows(with_decoy_and_extended_hours(minute), with_decoy_and_extended_hours(daily, intraday=False))


def _write_bucket(server: S3Server, rows: FlatRows, name: str) -> FlatBucket:
    client = server.client()
    client.create_bucket(Bucket=name)
    minute_days = put_flat_files(client, name, PREFIX, "minute_aggs_v1", rows.minute)
    daily_days = put_flat_files(client, name, PREFIX, "day_aggs_v1", rows.daily)
    return FlatBucket(server, name, PREFIX, minute_days, daily_days)


@pytest.fixture(scope="session")
def flat_files(s3_server, flat_rows) -> FlatBucket:
    """Bucket ``flatfiles``: SPY minute files of 2021-07-01 to 2021-08-13 and the daily files of ``DAILY_RANGE``.

    Never changed by a test; use ``make_flat_bucket`` to delete or damage objects.
    """
    return _write_bucket(s3_server, flat_rows, "flatfiles")


@pytest.fixture()
def make_flat_bucket(s3_server, flat_rows):
    """``make_flat_bucket(first, stop)``: a new bucket with the flat files of the days in ``[first, stop)``."""

    def make(first: str, stop: str) -> FlatBucket:
        low, high = np.datetime64(first), np.datetime64(stop)
        rows = FlatRows(*(frame[(frame["day"] >= low) & (frame["day"] < high)] for frame in flat_rows))
        return _write_bucket(s3_server, rows, f"flatfiles-{next(_numbers)}")

    return make
