"""research-env's settings: one reader, one order of precedence, documented defaults.

Each value comes from the first place that sets it:

1. an environment variable ``RESEARCH_ENV_<SECTION>_<KEY>``, e.g. ``RESEARCH_ENV_SCHEDULE_MAX_JOBS=4``;
2. ``./research-env.toml`` (in the folder the command runs in);
3. the user's ``config.toml`` in ``$XDG_CONFIG_HOME/research-env/`` (default ``~/.config/research-env/``);
4. the defaults below.

Both files are TOML with one table per section; every key is optional::

    [schedule]
    max_jobs = 2                   # notebooks `schedule serve`/`run-due` run at the same time
    job_timeout = 3600             # seconds one scheduled run may take (kernel start to HTML); "none": no limit
    misfire_grace_time = "none"    # seconds late a run may still start; "none": however late
    coalesce = true                # several missed or interrupted times of one job run once
    timezone = "America/New_York"  # the time zone of a cron line when `schedule add` is given none

    [data]
    folder = "~/market-data"       # the local bar store (default: the checkout's data/, else ~/.research-env/data)
    sources = ["postgres", "s3", "local", "demo"]  # the bar sources, tried in this order (default: see below)

    [pg]
    dsn = "postgresql://research@db.example.com:5432/bars"  # a PostgreSQL server: bar source and project database
    connect_timeout = 5            # seconds to wait for the server before the chain moves on
    statement_timeout = 60         # seconds one query may run; "none": no limit
    pool_size = 4                  # connections kept open per process

    [s3]
    endpoint = "https://files.massive.com"  # an S3-compatible endpoint (default: AWS's)
    bucket = "flatfiles"           # the bucket of Massive/Polygon flat files; setting it turns the source on
    prefix = "us_stocks_sip"       # the folder above minute_aggs_v1/ and day_aggs_v1/
    region = "us-east-1"
    workers = 8                    # days fetched at the same time
    # access_key_id / secret_access_key: prefer AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment

    [untrusted]
    allowed_imports = []           # modules untrusted strategies may import beyond the guide's list, e.g. ["numpy"]
    isolation = "bwrap"            # "bwrap" (required by default) or "process": weaker, only limits; results say so
    cpu_seconds = 120              # CPU seconds one contained run may use
    memory_mb = 4096               # address space of the contained process
    max_files = 256                # open files of the contained process
    timeout = 300                  # wall-clock seconds one contained run may take
    max_output_mb = 64             # the most a contained run may send back

    [service]
    host = "127.0.0.1"             # `research-env serve` binds here (another address warns without TLS)
    port = 8765
    workers = 2                    # worker processes running tasks (a crash kills a worker, not the server)
    dask_scheduler = "none"        # a Dask scheduler address runs tasks on that cluster instead
    token = "none"                 # the API token; "none": generated at first start, kept in the data folder
    max_combinations = 500         # the guide's sweep limit, set by the operator (a request cannot raise it)
    max_years = 3                  # the guide's date-range limit of a sweep
    task_timeout = 600             # seconds one task may run; "none": no limit
    keep_results = 1000            # finished tasks kept (the oldest dropped)
    keep_days = 30                 # finished tasks older than this are dropped; "none": kept
    git_schemes = ["https", "ssh"] # URL schemes a request's git_repo may use (file:// and paths: only if "file")
    max_request_kb = 1024          # the largest request body accepted
    cors_origins = []              # origins allowed to call the API from a browser (closed by default)

The default chain is ``postgres`` (when ``pg.dsn`` is set), ``s3`` (when
``s3.bucket`` is set), ``local``, ``demo``. Three keys have short environment
names besides the long ones: ``RESEARCH_ENV_DATA`` (``data.folder``),
``RESEARCH_ENV_SOURCES`` (``data.sources``, comma-separated, e.g.
``postgres,local``) and the ``RESEARCH_ENV_PG_*``/``RESEARCH_ENV_S3_*`` names
are already short. Credentials are never printed: their fields are left out of
``repr`` and passwords are masked wherever a DSN is shown.

In the environment, ``none`` means no limit and booleans are
``true``/``false`` (or ``1``/``0``, ``yes``/``no``, ``on``/``off``). An
unknown section or key, or a value of the wrong kind, is an ``InputError``
naming where it was set: a typo never silently falls back to a default.
Only the standard library is imported here, so every layer may read settings.
"""

from __future__ import annotations

import difflib
import os
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = [
    "PROJECT_FILE",
    "SOURCE_NAMES",
    "DataSettings",
    "PostgresSettings",
    "S3Settings",
    "ScheduleSettings",
    "ServiceSettings",
    "Settings",
    "UntrustedSettings",
    "load_settings",
    "parse_sources",
    "parse_timezone",
    "user_config_path",
]

#: The project's settings file, read from the folder a command runs in.
PROJECT_FILE = "research-env.toml"

#: Every bar source the chain knows, in the default order.
SOURCE_NAMES = ("postgres", "s3", "local", "demo")

_NONE_WORDS = ("none", "null", "off", "unlimited")
_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{where} must be a whole number of at least 1, got {value!r}")
    return value


def _amount_or_none(value: Any, where: str, unit: str = "seconds") -> float | None:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _NONE_WORDS:
            return None
        try:
            value = float(text)
        except ValueError:
            raise InputError(f'{where} must be a number of {unit} or "none" (no limit), got {value!r}') from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise InputError(f'{where} must be a positive number of {unit} or "none" (no limit), got {value!r}')
    return float(value)


def _seconds_or_none(value: Any, where: str) -> float | None:
    return _amount_or_none(value, where)


def _boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS + _FALSE_WORDS:
        return value.strip().lower() in _TRUE_WORDS
    raise InputError(f"{where} must be true or false, got {value!r}")


def parse_timezone(name: Any, where: str = "time zone") -> str:
    """``name`` when it is an IANA time zone (``America/New_York``, ``Europe/London``, ``UTC``); else ``InputError``.

    The one check of a time-zone name: settings and ``schedule add --timezone`` use it.
    """
    if isinstance(name, str) and name.strip():
        try:
            zoneinfo.ZoneInfo(name)
            return name
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    hint = difflib.get_close_matches(str(name), sorted(zoneinfo.available_timezones()), n=1, cutoff=0.7)
    suggestion = f"; did you mean `{hint[0]}`?" if hint else " (e.g. America/New_York, Europe/London, UTC)"
    raise InputError(f"{where} {name!r} is not a time zone: use an IANA name{suggestion}")


def _text_or_none(value: Any, where: str) -> str | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", *_NONE_WORDS)):
        return None
    if not isinstance(value, str):
        raise InputError(f"{where} must be a string, got {value!r}")
    return value.strip()


def parse_sources(value: Any, where: str = "`sources`") -> tuple[str, ...] | None:
    """The bar sources in order, from a list or a comma-separated string of ``SOURCE_NAMES`` (``None``: the
    default chain); ``InputError`` names an unknown or repeated one."""
    if isinstance(value, str):
        if value.strip().lower() in ("", "default"):
            return None
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise InputError(f"{where} must list sources, e.g. \"postgres,s3,local,demo\", got {value!r}")
    names = [item.strip().lower() for item in value if item.strip()]
    for name in names:
        if name not in SOURCE_NAMES:
            raise InputError(f"{where} names an unknown source `{name}`{_did_you_mean(name, SOURCE_NAMES)}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"{where} names {', '.join(repeated)} more than once; list each source once")
    if not names:
        raise InputError(f"{where} is empty; list at least one of {', '.join(SOURCE_NAMES)}")
    return tuple(names)


def _module_list(value: Any, where: str) -> tuple[str, ...]:
    """Dotted module names, from a list or a comma-separated string."""
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise InputError(f"{where} must list module names, e.g. [\"numpy\"], got {value!r}")
    names = tuple(item.strip() for item in value)
    bad = [name for name in names if not all(part.isidentifier() for part in name.split("."))]
    if bad:
        raise InputError(f"{where} has {bad[0]!r}, which is not a module name (e.g. numpy, numpy.linalg)")
    return names


def _isolation(value: Any, where: str) -> str:
    if value not in ("bwrap", "process"):
        raise InputError(f'{where} must be "bwrap" (a bubblewrap sandbox) or "process" (resource limits only, '
                         f"weaker), got {value!r}")
    return value


def _setting(default: Any, parse: Callable[[Any, str], Any], *, env: str | None = None, secret: bool = False):
    """A settings field: ``parse`` checks a value; ``env`` is a short environment name besides the long one;
    ``secret`` keeps the value out of ``repr``."""
    return field(default=default, repr=not secret, metadata={"parse": parse, "env": env})


@dataclass(frozen=True)
class ScheduleSettings:
    """The scheduler's settings (``[schedule]``); see the module's docstring for each key."""

    max_jobs: int = _setting(2, _positive_int)
    job_timeout: float | None = _setting(3600.0, _seconds_or_none)
    misfire_grace_time: float | None = _setting(None, _seconds_or_none)
    coalesce: bool = _setting(True, _boolean)
    timezone: str = _setting("America/New_York", parse_timezone)


@dataclass(frozen=True)
class DataSettings:
    """Where bars come from (``[data]``): the local store's ``folder`` and the chain's ``sources`` in order
    (``None``: the default chain)."""

    folder: str | None = _setting(None, _text_or_none, env="RESEARCH_ENV_DATA")
    sources: tuple[str, ...] | None = _setting(None, parse_sources, env="RESEARCH_ENV_SOURCES")


@dataclass(frozen=True)
class PostgresSettings:
    """The PostgreSQL server (``[pg]``): bar source and project database when ``dsn`` is set."""

    dsn: str | None = _setting(None, _text_or_none, secret=True)
    connect_timeout: float | None = _setting(5.0, _seconds_or_none)
    statement_timeout: float | None = _setting(60.0, _seconds_or_none)
    pool_size: int = _setting(4, _positive_int)


@dataclass(frozen=True)
class S3Settings:
    """The S3 flat files (``[s3]``): the source is on when ``bucket`` is set."""

    endpoint: str | None = _setting(None, _text_or_none)
    bucket: str | None = _setting(None, _text_or_none)
    prefix: str = _setting("us_stocks_sip", lambda value, where: _text_or_none(value, where) or "")
    region: str | None = _setting(None, _text_or_none)
    workers: int = _setting(8, _positive_int)
    access_key_id: str | None = _setting(None, _text_or_none, secret=True)
    secret_access_key: str | None = _setting(None, _text_or_none, secret=True)


@dataclass(frozen=True)
class UntrustedSettings:
    """How untrusted strategy code is validated and contained (``[untrusted]``)."""

    allowed_imports: tuple[str, ...] = _setting((), _module_list)
    isolation: str = _setting("bwrap", _isolation)
    cpu_seconds: int = _setting(120, _positive_int)
    memory_mb: int = _setting(4096, _positive_int)
    max_files: int = _setting(256, _positive_int)
    timeout: float | None = _setting(300.0, _seconds_or_none)
    max_output_mb: int = _setting(64, _positive_int)


def _name_list(value: Any, where: str) -> tuple[str, ...]:
    """Plain names (URL schemes, origins), from a list or a comma-separated string."""
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) and item.strip() for item in value):
        raise InputError(f"{where} must be a list of names, e.g. [\"https\", \"ssh\"], got {value!r}")
    return tuple(item.strip() for item in value)


def _port(value: Any, where: str) -> int:
    port = _positive_int(value, where)
    if port > 65535:
        raise InputError(f"{where} must be a TCP port (1-65535), got {port}")
    return port


@dataclass(frozen=True)
class ServiceSettings:
    """The backtest service (``[service]``); see the module's docstring for each key."""

    host: str = _setting("127.0.0.1", lambda value, where: _text_or_none(value, where) or "127.0.0.1")
    port: int = _setting(8765, _port)
    workers: int = _setting(2, _positive_int)
    dask_scheduler: str | None = _setting(None, _text_or_none)
    token: str | None = _setting(None, _text_or_none, secret=True)
    max_combinations: int = _setting(500, _positive_int)
    max_years: float | None = _setting(3.0, lambda value, where: _amount_or_none(value, where, "years"))
    task_timeout: float | None = _setting(600.0, _seconds_or_none)
    keep_results: int = _setting(1000, _positive_int)
    keep_days: float | None = _setting(30.0, lambda value, where: _amount_or_none(value, where, "days"))
    git_schemes: tuple[str, ...] = _setting(("https", "ssh"), _name_list)
    max_request_kb: int = _setting(1024, _positive_int)
    cors_origins: tuple[str, ...] = _setting((), lambda value, where: _name_list(value, where) if value else ())


@dataclass(frozen=True)
class Settings:
    """Every setting of research-env, one frozen dataclass per section."""

    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    data: DataSettings = field(default_factory=DataSettings)
    pg: PostgresSettings = field(default_factory=PostgresSettings)
    s3: S3Settings = field(default_factory=S3Settings)
    untrusted: UntrustedSettings = field(default_factory=UntrustedSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)


def user_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/research-env/config.toml``, else ``~/.config/research-env/config.toml``."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "research-env" / "config.toml"


def load_settings(*, environ: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None,
                  user_config: str | os.PathLike | None = None) -> Settings:
    """The settings: environment variables, then ``./research-env.toml``, then the user's config, then defaults.

    ``environ`` (default ``os.environ``), ``cwd`` (default the current folder)
    and ``user_config`` (default ``user_config_path()``) say where to look.
    """
    environ = os.environ if environ is None else environ
    project = Path(cwd if cwd is not None else Path.cwd()) / PROJECT_FILE
    user = Path(user_config) if user_config is not None else user_config_path(environ)
    settings = Settings()
    for path in (user, project):  # lowest precedence first: each later source overrides
        if path.is_file():
            settings = _apply(settings, _read_toml(path), f"in {path}")
    return _apply_environment(settings, environ)


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path} is not valid TOML: {e}") from e


def _sections(settings: Settings) -> dict[str, Any]:
    return {f.name: getattr(settings, f.name) for f in fields(settings)}


def _apply(settings: Settings, table: dict, where: str) -> Settings:
    sections = _sections(settings)
    changed = {}
    for name, values in table.items():
        section = sections.get(name)
        if section is None:
            raise InputError(f"unknown settings section `[{name}]` {where}{_did_you_mean(name, sections)}")
        if not isinstance(values, dict):
            raise InputError(f"`{name}` {where} must be a table (`[{name}]`), got {values!r}")
        known = {f.name: f for f in fields(section)}
        updates = {}
        for key, value in values.items():
            spec = known.get(key)
            if spec is None:
                raise InputError(f"unknown setting `{name}.{key}` {where}{_did_you_mean(key, known)}")
            updates[key] = spec.metadata["parse"](value, f"`{name}.{key}` {where}")
        changed[name] = replace(section, **updates)
    return replace(settings, **changed)


def _apply_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    changed = {}
    for name, section in _sections(settings).items():
        updates = {}
        for spec in fields(section):
            for variable in (spec.metadata["env"], f"RESEARCH_ENV_{name}_{spec.name}".upper()):
                if variable and variable in environ:
                    updates[spec.name] = spec.metadata["parse"](environ[variable], f"`{variable}`")
                    break
        if updates:
            changed[name] = replace(section, **updates)
    return replace(settings, **changed)


def _did_you_mean(name: str, known) -> str:
    hint = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean `{hint[0]}`?" if hint else f" (known: {', '.join(known)})"
