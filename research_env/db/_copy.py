"""PostgreSQL's binary ``COPY`` format for rows of NOT NULL fixed-width fields, built and read with numpy.

A payload is the 11-byte signature, int32 flags, int32 header-extension length and extension, then per
row an int16 field count and per field an int32 length and the big-endian value, then an int16 -1. With
every field NOT NULL and fixed-width (``>i8`` timestamptz, ``>f8`` float8, ``S<n>`` text of one length)
each row has the same width, so one structured dtype reads or writes all rows at once.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

__all__ = ["PG_EPOCH_US", "copy_payload", "decode_rows", "encode_rows", "row_dtype"]

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER = _SIGNATURE + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
#: Microseconds from the Unix epoch to PostgreSQL's timestamp epoch, 2000-01-01 UTC.
PG_EPOCH_US = 946_684_800_000_000


def row_dtype(formats: Sequence[str]) -> np.dtype:
    """The packed record of one row: ``count`` (int16), then ``size<i>`` (int32) and ``f<i>`` per format."""
    fields = [("count", ">i2")]
    for i, fmt in enumerate(formats):
        fields += [(f"size{i}", ">i4"), (f"f{i}", fmt)]
    return np.dtype(fields)


def encode_rows(formats: Sequence[str], columns: Sequence[np.ndarray | bytes], rows: int) -> np.ndarray:
    """``rows`` records of ``row_dtype(formats)`` holding ``columns`` (arrays, or one value for every row)."""
    dtype = row_dtype(formats)
    records = np.empty(rows, dtype)
    records["count"] = len(formats)
    for i, column in enumerate(columns):
        records[f"size{i}"] = dtype[f"f{i}"].itemsize
        records[f"f{i}"] = column
    return records


def copy_payload(parts: Sequence[np.ndarray]) -> bytes:
    """A whole binary COPY payload: header, the records of ``parts`` in order, trailer."""
    return b"".join([_HEADER, *(part.tobytes() for part in parts), _TRAILER])


def decode_rows(payload: bytes | bytearray | memoryview, formats: Sequence[str]) -> np.ndarray:
    """The records of a binary COPY payload whose rows are ``formats`` (no copy of the data).

    Raises ``ValueError`` when the payload is not such a COPY (a NULL, another type, a broken stream).
    """
    view = memoryview(payload)
    if bytes(view[: len(_SIGNATURE)]) != _SIGNATURE or len(view) < len(_HEADER) + len(_TRAILER):
        raise ValueError("not a binary COPY payload: the PGCOPY signature is missing")
    flags, extension = struct.unpack_from(">ii", view, len(_SIGNATURE))
    if flags:
        raise ValueError(f"binary COPY flags {flags:#x} are not supported (rows with OIDs?)")
    start = len(_SIGNATURE) + 8 + extension
    if bytes(view[-len(_TRAILER):]) != _TRAILER:
        raise ValueError("binary COPY payload is cut short: the trailer is missing")
    body = view[start: len(view) - len(_TRAILER)]
    dtype = row_dtype(formats)
    if len(body) % dtype.itemsize:
        raise ValueError(f"binary COPY rows are not {dtype.itemsize} bytes each: a NULL or a different column type")
    records = np.frombuffer(body, dtype)
    expected = [(f"size{i}", dtype[f"f{i}"].itemsize) for i in range(len(formats))]
    if (records["count"] != len(formats)).any() or any((records[name] != size).any() for name, size in expected):
        raise ValueError("binary COPY rows do not have the expected fields: a NULL or a different column type")
    return records
