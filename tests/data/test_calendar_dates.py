"""``ny_dates`` takes the fast path (a fixed 4- or 5-hour offset) only where it cannot be wrong."""

from __future__ import annotations

import numpy as np

from research_env.data._calendar import _zone_dates, ny_dates


def test_ny_dates_match_the_time_zone_database_every_15_minutes_1990_to_2040():
    step = 15 * 60 * 10**9
    stamps = np.arange(np.datetime64("1990-01-01", "ns").astype(np.int64),
                       np.datetime64("2041-01-01", "ns").astype(np.int64), step)
    assert np.array_equal(ny_dates(stamps), _zone_dates(stamps))


def test_ny_dates_at_the_edges_of_the_fast_path():
    # 2023-03-12 07:00 UTC is the spring change (02:00 EST -> 03:00 EDT); 04:59/05:00 UTC bound the fast path
    stamps = np.array(["2023-03-12T04:59:59", "2023-03-12T05:00:00", "2023-03-12T06:59:59", "2023-03-12T07:00:00",
                       "2023-11-05T04:59:59", "2023-11-05T05:00:00", "2023-11-05T05:59:59", "2023-11-05T06:00:00"],
                      dtype="datetime64[ns]").astype(np.int64)
    expected = np.array(["2023-03-11", "2023-03-12", "2023-03-12", "2023-03-12",
                         "2023-11-05", "2023-11-05", "2023-11-05", "2023-11-05"], dtype="datetime64[D]")
    assert np.array_equal(ny_dates(stamps), expected)
    assert np.array_equal(_zone_dates(stamps), expected)
