"""``S3FlatFiles``: bars from Massive/Polygon flat files in an S3 bucket, cached into a local ``BarStore``."""

from __future__ import annotations

import contextlib
import functools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .._calendar import session_dates
from .._errors import BarDataError, SourceUnavailableError
from .._frame import empty_bars
from .._gaps import expected_sessions, today
from .._store import BarStore
from .._symbols import normalize_symbol
from .._timeframes import check_timeframe
from ._flatfiles import DATASETS, DayRows, day_rows, flat_key, parse_rows
from ._s3_cache import clear_s3_cache, known_empty, remember_empty
from ._s3_errors import MISSING_OBJECT, diagnose, error_code

__all__ = ["S3FlatFiles", "clear_s3_cache"]


class S3FlatFiles:
    """Bars from Massive/Polygon flat files in an S3 bucket, cached into a local BarStore.

    The files are ``<prefix>/minute_aggs_v1/YYYY/MM/YYYY-MM-DD.csv.gz`` (``"1m"``) and
    ``<prefix>/day_aggs_v1/...`` (``"1d"``), one per day with every ticker. Credentials not given
    come from boto3's own chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``~/.aws``); they
    never appear in a message or in ``repr``. ``connect_timeout``/``read_timeout`` (seconds) and
    ``attempts`` (tries per request) bound how long an unreachable server holds a read.
    """

    name = "s3"

    def __init__(self, bucket: str, *, prefix: str = "us_stocks_sip", endpoint: str | None = None,
                 region: str | None = None, access_key_id: str | None = None, secret_access_key: str | None = None,
                 workers: int = 8, cache: BarStore, connect_timeout: float = 5.0, read_timeout: float = 60.0,
                 attempts: int = 3) -> None:
        if not isinstance(bucket, str) or not bucket.strip():
            raise BarDataError(f"`bucket`={bucket!r}: name the bucket of the flat files (RESEARCH_ENV_S3_BUCKET)")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise BarDataError(f"`workers`={workers!r} must be a whole number of at least 1 (RESEARCH_ENV_S3_WORKERS)")
        self.bucket = bucket.strip()
        self.prefix = (prefix or "").strip("/")
        self.endpoint, self.region, self.workers, self.cache = endpoint, region, workers, cache
        self._keys = (access_key_id, secret_access_key)
        self._limits = (connect_timeout, read_timeout, attempts)
        self._client = None

    @classmethod
    def from_settings(cls, settings, cache: BarStore) -> S3FlatFiles | None:
        """The source of ``settings.s3`` (``Settings``) caching into ``cache``; ``None`` when no bucket is set."""
        s3 = settings.s3
        if not s3.bucket:
            return None
        return cls(s3.bucket, prefix=s3.prefix, endpoint=s3.endpoint, region=s3.region,
                   access_key_id=s3.access_key_id, secret_access_key=s3.secret_access_key, workers=s3.workers,
                   cache=cache)

    def __repr__(self) -> str:
        return (f"S3FlatFiles(bucket={self.bucket!r}, prefix={self.prefix!r}, endpoint={self.endpoint!r}, "
                f"cache={self.cache!r})")

    @property
    def label(self) -> str:
        """The source label of the cached bars: ``s3://<bucket>/<prefix>``."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    @property
    def client(self):
        """The boto3 S3 client, made on first use and shared by the fetching threads (it is thread-safe)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            connect, read, attempts = self._limits
            config = Config(connect_timeout=connect, read_timeout=read, max_pool_connections=max(10, self.workers),
                            retries={"max_attempts": attempts, "mode": "standard"},
                            s3={"addressing_style": "path"} if self.endpoint else None)
            try:
                self._client = boto3.session.Session().client(
                    "s3", endpoint_url=self.endpoint, region_name=self.region, aws_access_key_id=self._keys[0],
                    aws_secret_access_key=self._keys[1], config=config)
            except ValueError as e:  # a malformed endpoint URL
                raise SourceUnavailableError("s3", self._scrub(
                    f"S3 flat files: the endpoint {self.endpoint!r} is not usable ({e}); set RESEARCH_ENV_S3_ENDPOINT "
                    "(`[s3] endpoint`) to a URL such as https://files.massive.com")) from None
        return self._client

    def check(self) -> None:
        """HEAD the bucket: ``SourceUnavailableError`` for an unreachable endpoint, bad credentials or no bucket."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as e:
            raise self._unavailable(e) from None

    def timeframes(self, symbol: str) -> list[str]:
        """The timeframes the flat files hold (for every symbol): ``["1m", "1d"]``."""
        return list(DATASETS)

    def read(self, symbol: str, timeframe: str, first: np.datetime64, stop: np.datetime64) -> tuple[pd.DataFrame, bool]:
        """The bars of the NYSE sessions in ``[first, stop)`` before today, and whether all came from the cache.

        Only ``"1m"`` and ``"1d"`` are read (other timeframes: an empty frame, no request). Sessions the
        cache lacks are fetched in parallel and merged into it; a day without a file, or whose file has no
        row of ``symbol`` (noted, not fetched again), is left out: the caller reports gaps. The frame is
        like ``BarStore.read``'s.
        """
        symbol, timeframe = normalize_symbol(symbol), check_timeframe(timeframe)
        wanted = expected_sessions(np.datetime64(first, "D"), min(np.datetime64(stop, "D"), today()))
        if timeframe not in DATASETS or not len(wanted):
            return empty_bars(), True
        span = (wanted[0], wanted[-1] + 1)
        held = self.cache.read(symbol, timeframe, *span)
        known = np.union1d(session_dates(held.index), known_empty(self.cache, symbol, timeframe))
        missing = wanted[~np.isin(wanted, known)]
        if not len(missing):
            return held, True
        fetched = self._fetch(symbol, timeframe, missing)
        if fetched.empty:
            return held, False
        self.cache.merge(symbol, timeframe, fetched, source=self.label)
        return self.cache.read(symbol, timeframe, *span), False

    def clear_cache(self, symbol: str | None = None) -> list[Path]:
        """``clear_s3_cache`` of this source's cache."""
        return clear_s3_cache(self.cache, symbol)

    # --- fetching ------------------------------------------------------------------------------------------

    def _fetch(self, symbol: str, timeframe: str, days: np.ndarray) -> pd.DataFrame:
        """The bars of ``symbol`` in the files of ``days``, fetched by ``workers`` threads and read once;
        the days whose file holds no row of ``symbol`` are noted in the cache."""
        fetch = functools.partial(self._day, self.client, symbol, timeframe)
        pool = ThreadPoolExecutor(max_workers=min(self.workers, len(days)), thread_name_prefix="s3-flat-files")
        try:
            results = list(pool.map(fetch, days))
        finally:
            pool.shutdown(cancel_futures=True)
        found = [rows for rows in results if rows is not None]
        remember_empty(self.cache, symbol, timeframe, [day for day, rows in zip(days, results, strict=True)
                                                       if rows is not None and not rows.lines])
        origin = f"{self.label}/{DATASETS[timeframe]} ({symbol}, files {days[0]} to {days[-1]})"
        return parse_rows(found, symbol, timeframe, origin)

    def _day(self, client, symbol: str, timeframe: str, day: np.datetime64) -> DayRows | None:
        """One day's rows of ``symbol``; ``None`` when the day has no file."""
        from botocore.exceptions import BotoCoreError, ClientError

        key = flat_key(self.prefix, timeframe, day)
        try:
            body = client.get_object(Bucket=self.bucket, Key=key)["Body"]
            with contextlib.closing(body):
                return day_rows(body, symbol, timeframe, day, f"s3://{self.bucket}/{key}")
        except (BotoCoreError, ClientError) as e:
            if error_code(e) in MISSING_OBJECT:
                return None
            raise self._unavailable(e, key) from None

    def _unavailable(self, error: BaseException, key: str | None = None) -> SourceUnavailableError:
        reason, fix = diagnose(error)
        what = f"`s3://{self.bucket}/{key}`" if key else f"the bucket `{self.bucket}`"
        where = f"endpoint {self.endpoint}" if self.endpoint else f"AWS S3 (region {self.region or 'default'})"
        return SourceUnavailableError("s3", self._scrub(f"S3 flat files: {what} at {where}: {reason}; {fix}"))

    def _scrub(self, text: str) -> str:
        """``text`` without the credentials, should a server or library ever echo them (real keys are
        16 characters or more: shorter ones would mask ordinary words)."""
        for secret in self._keys:
            if secret and len(secret) >= 8:
                text = text.replace(secret, "***")
        return text

