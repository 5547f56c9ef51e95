"""``load_settings``: environment > ``./research-env.toml`` > user config > defaults, strict about what it reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from research_env.errors import InputError
from research_env.settings import (
    DataSettings,
    PostgresSettings,
    S3Settings,
    ScheduleSettings,
    Settings,
    load_settings,
    parse_sources,
    parse_timezone,
    user_config_path,
)


def _load(tmp_path: Path, environ: dict | None = None, project: str | None = None, user: str | None = None):
    (tmp_path / "project").mkdir(exist_ok=True)
    if project is not None:
        (tmp_path / "project" / "research-env.toml").write_text(project)
    if user is not None:
        (tmp_path / "user.toml").write_text(user)
    return load_settings(environ=environ or {}, cwd=tmp_path / "project", user_config=tmp_path / "user.toml")


def test_the_defaults_are_the_documented_ones(tmp_path):
    settings = _load(tmp_path)
    assert settings == Settings()
    assert settings.schedule == ScheduleSettings(max_jobs=2, job_timeout=3600.0, misfire_grace_time=None,
                                                 coalesce=True, timezone="America/New_York")


def test_environment_beats_the_project_file_which_beats_the_user_config(tmp_path):
    user = '[schedule]\nmax_jobs = 3\njob_timeout = 60\nmisfire_grace_time = 30\ntimezone = "Europe/London"\n'
    project = "[schedule]\nmax_jobs = 4\njob_timeout = 120\n"
    environ = {"RESEARCH_ENV_SCHEDULE_MAX_JOBS": "5", "RESEARCH_ENV_SCHEDULE_COALESCE": "false"}

    settings = _load(tmp_path, environ, project, user)

    assert settings.schedule == ScheduleSettings(max_jobs=5, job_timeout=120.0, misfire_grace_time=30.0,
                                                 coalesce=False, timezone="Europe/London")


@pytest.mark.parametrize(("environ", "expected"), [
    ({"RESEARCH_ENV_SCHEDULE_JOB_TIMEOUT": "none"}, {"job_timeout": None}),
    ({"RESEARCH_ENV_SCHEDULE_JOB_TIMEOUT": "90.5"}, {"job_timeout": 90.5}),
    ({"RESEARCH_ENV_SCHEDULE_MISFIRE_GRACE_TIME": "600"}, {"misfire_grace_time": 600.0}),
    ({"RESEARCH_ENV_SCHEDULE_COALESCE": "yes"}, {"coalesce": True}),
    ({"RESEARCH_ENV_SCHEDULE_COALESCE": "0"}, {"coalesce": False}),
    ({"RESEARCH_ENV_SCHEDULE_TIMEZONE": "UTC"}, {"timezone": "UTC"}),
])
def test_environment_values_are_read_as_their_kind(tmp_path, environ, expected):
    assert _load(tmp_path, environ).schedule == ScheduleSettings(**expected)


def test_none_in_a_file_lifts_a_limit(tmp_path):
    assert _load(tmp_path, project='[schedule]\njob_timeout = "none"\n').schedule.job_timeout is None


@pytest.mark.parametrize(("environ", "project", "message"), [
    ({"RESEARCH_ENV_SCHEDULE_MAX_JOBS": "0"}, None,
     "`RESEARCH_ENV_SCHEDULE_MAX_JOBS` must be a whole number of at least 1, got 0"),
    ({"RESEARCH_ENV_SCHEDULE_MAX_JOBS": "two"}, None,
     "`RESEARCH_ENV_SCHEDULE_MAX_JOBS` must be a whole number of at least 1, got 'two'"),
    ({"RESEARCH_ENV_SCHEDULE_JOB_TIMEOUT": "-5"}, None,
     '`RESEARCH_ENV_SCHEDULE_JOB_TIMEOUT` must be a positive number of seconds or "none" (no limit), got -5.0'),
    ({"RESEARCH_ENV_SCHEDULE_COALESCE": "maybe"}, None,
     "`RESEARCH_ENV_SCHEDULE_COALESCE` must be true or false, got 'maybe'"),
    ({}, "[schedule]\nmax_jobs = true\n", "`schedule.max_jobs` in {project} must be a whole number of at least 1, "
                                          "got True"),
    ({}, "[schedule]\njob_timeout = inf\n", "`schedule.job_timeout` in {project} must be a positive number of "
                                            'seconds or "none" (no limit), got inf'),
    ({}, "[schedule]\nmax_job = 3\n", "unknown setting `schedule.max_job` in {project}; did you mean `max_jobs`?"),
    ({}, "[schedul]\nmax_jobs = 3\n", "unknown settings section `[schedul]` in {project}; did you mean `schedule`?"),
    ({}, "schedule = 3\n", "`schedule` in {project} must be a table (`[schedule]`), got 3"),
    ({}, '[schedule]\ntimezone = "Mars/Base"\n', "`schedule.timezone` in {project} 'Mars/Base' is not a time zone"),
])
def test_a_bad_value_names_where_it_was_set(tmp_path, environ, project, message):
    with pytest.raises(ValueError) as caught:
        _load(tmp_path, environ, project)
    assert str(caught.value).startswith(message.format(project=tmp_path / "project" / "research-env.toml"))


def test_a_file_that_is_not_toml_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"user\.toml is not valid TOML: "):
        _load(tmp_path, user="[schedule\n")


def test_the_user_config_lives_under_xdg_config_home(tmp_path):
    assert user_config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "research-env" / "config.toml"
    assert user_config_path({}) == Path.home() / ".config" / "research-env" / "config.toml"
    (tmp_path / "research-env").mkdir()
    (tmp_path / "research-env" / "config.toml").write_text("[schedule]\nmax_jobs = 7\n")
    assert load_settings(environ={"XDG_CONFIG_HOME": str(tmp_path)}, cwd=tmp_path).schedule.max_jobs == 7


@pytest.mark.parametrize(("name", "message"), [
    ("Europe/Londn", "time zone 'Europe/Londn' is not a time zone: use an IANA name; did you mean `Europe/London`?"),
    ("nowhere", "time zone 'nowhere' is not a time zone: use an IANA name (e.g. America/New_York, Europe/London, "
                "UTC)"),
    (None, "time zone None is not a time zone"),
])
def test_parse_timezone_suggests_the_nearest_name(name, message):
    assert parse_timezone("Asia/Tokyo") == "Asia/Tokyo"
    with pytest.raises(ValueError) as caught:
        parse_timezone(name)
    assert str(caught.value).startswith(message)


# --- the data sources ----------------------------------------------------------------------------------------


def test_the_data_source_keys_have_the_documented_short_environment_names(tmp_path):
    environ = {"RESEARCH_ENV_PG_DSN": "postgresql://research:s3cret@db.internal:5432/bars",
               "RESEARCH_ENV_S3_ENDPOINT": "http://127.0.0.1:9000", "RESEARCH_ENV_S3_BUCKET": "flatfiles",
               "RESEARCH_ENV_S3_PREFIX": "us_stocks_sip", "RESEARCH_ENV_SOURCES": "s3, postgres,local",
               "RESEARCH_ENV_DATA": "/srv/bars", "RESEARCH_ENV_PG_STATEMENT_TIMEOUT": "none"}

    settings = _load(tmp_path, environ)

    assert settings.pg == PostgresSettings(dsn="postgresql://research:s3cret@db.internal:5432/bars",
                                           statement_timeout=None)
    assert settings.s3 == S3Settings(endpoint="http://127.0.0.1:9000", bucket="flatfiles")
    assert settings.data == DataSettings(folder="/srv/bars", sources=("s3", "postgres", "local"))
    assert "s3cret" not in repr(settings)


def test_the_long_environment_name_and_the_files_set_the_same_keys(tmp_path):
    project = '[data]\nsources = ["local", "demo"]\n[s3]\nbucket = "team-bars"\nworkers = 2\n'
    user = '[pg]\ndsn = "postgresql://me@localhost/bars"\npool_size = 2\n'

    settings = _load(tmp_path, {"RESEARCH_ENV_DATA_FOLDER": "~/bars"}, project, user)

    assert settings.data == DataSettings(folder="~/bars", sources=("local", "demo"))
    assert settings.s3 == S3Settings(bucket="team-bars", workers=2)
    assert settings.pg == PostgresSettings(dsn="postgresql://me@localhost/bars", pool_size=2)


@pytest.mark.parametrize(("value", "message"), [
    ("postgress,s3", "`RESEARCH_ENV_SOURCES` names an unknown source `postgress`; did you mean `postgres`?"),
    ("local,local", "`RESEARCH_ENV_SOURCES` names local more than once; list each source once"),
    (",", "`RESEARCH_ENV_SOURCES` is empty; list at least one of postgres, s3, local, demo"),
])
def test_a_bad_source_list_is_refused_by_name(tmp_path, value, message):
    with pytest.raises(InputError) as caught:
        _load(tmp_path, {"RESEARCH_ENV_SOURCES": value})
    assert str(caught.value) == message


def test_default_means_the_default_chain(tmp_path):
    assert _load(tmp_path, {"RESEARCH_ENV_SOURCES": "default"}).data.sources is None
    assert parse_sources(["POSTGRES", "demo"]) == ("postgres", "demo")
