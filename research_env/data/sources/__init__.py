"""The bar sources beside the local store, and the fallback chain through them.

PostgreSQL (``PostgresBars``), Massive/Polygon S3 flat files (``S3FlatFiles``, cached into a store of their
own), the local ``BarStore`` and demo bars, tried in the order of the settings (``data.sources``). See the
"Bar sources" part of ``docs/data.md``.
"""

from ._chain import Chain, Found, build_chain, s3_cache
from ._info import clear_cache, data_sources
from ._postgres import PostgresBars
from ._s3 import S3FlatFiles, clear_s3_cache

__all__ = [
    "Chain",
    "Found",
    "PostgresBars",
    "S3FlatFiles",
    "build_chain",
    "clear_cache",
    "clear_s3_cache",
    "data_sources",
    "s3_cache",
]
