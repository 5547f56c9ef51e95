"""Where the client finds its token, and the errors for a wrong token, a server that is not there, bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from research_env.client import Client, ServiceError, ServiceRequestError, resolve_token, token_file
from research_env.errors import InputError
from tests.s3_server import free_port


@pytest.fixture()
def no_token(tmp_path, monkeypatch):
    """No token anywhere: no environment setting, no settings file, an empty data folder."""
    for name in ("RESEARCH_ENV_SERVICE_TOKEN", "RESEARCH_ENV_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RESEARCH_ENV_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_importing_the_client_loads_neither_httpx_nor_pandas():
    code = "import sys, research_env.client; print(sorted({'httpx', 'websockets', 'pandas'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_without_a_token_the_error_names_the_argument_the_variable_and_the_file(no_token):
    with pytest.raises(InputError) as info:
        Client()
    message = str(info.value)
    assert "`token=`" in message and "RESEARCH_ENV_SERVICE_TOKEN" in message
    assert str(no_token / "data" / "service" / "token") in message and "research-env serve" in message


def test_the_token_comes_from_the_argument_then_the_setting_then_the_local_file(no_token, monkeypatch):
    path = token_file()
    path.parent.mkdir(parents=True)
    path.write_text("from-file\n")
    assert resolve_token() == "from-file"
    (no_token / "research-env.toml").write_text('[service]\ntoken = "from-settings-file"\n')
    assert resolve_token() == "from-settings-file"
    monkeypatch.setenv("RESEARCH_ENV_SERVICE_TOKEN", "from-env")
    assert resolve_token() == "from-env"
    assert resolve_token("given") == "given"


def test_a_server_that_is_not_there_names_the_url_and_how_to_start_it():
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, "t") as client, pytest.raises(ServiceError) as info:
        client.status("abc")
    assert url in str(info.value) and "start it with `research-env serve`" in str(info.value)


def test_url_must_be_http():
    with pytest.raises(InputError, match="`url` must start with http:// or https://"):
        Client("127.0.0.1:8765", "t")


def test_a_strategy_class_is_refused_before_anything_is_sent():
    from research_env.strategy.base import StrategyBase

    with Client(f"http://127.0.0.1:{free_port()}", "t") as client, pytest.raises(InputError, match="`strategy`"):
        client.submit_backtest(StrategyBase)


def test_params_that_are_not_json_name_the_field():
    with Client(f"http://127.0.0.1:{free_port()}", "t") as client, pytest.raises(InputError, match="`params`"):
        client.submit_backtest("dual_ma_crossover", params={"fast_period": object()})


def test_a_wrong_token_is_refused_with_a_clear_error(service):
    with Client(service.url, "wrong-token") as client, pytest.raises(ServiceRequestError) as info:
        client.tasks()
    assert info.value.status == 401
    assert "refused the token" in str(info.value) and "RESEARCH_ENV_SERVICE_TOKEN" in str(info.value)


def test_the_local_token_file_and_the_environment_reach_the_server(service, no_token, monkeypatch):
    path = token_file()
    path.parent.mkdir(parents=True)
    path.write_text(service.token)
    with Client(service.url) as client:
        assert client.tasks(per_page=1)["per_page"] == 1
    path.unlink()
    monkeypatch.setenv("RESEARCH_ENV_SERVICE_TOKEN", service.token)
    with Client(service.url) as client:
        assert "tasks" in client.tasks(per_page=1)


def test_the_query_token_works_too(service):
    import httpx

    answer = httpx.get(f"{service.url}/api/backtest", params={"token": service.token, "per_page": 1})
    assert answer.status_code == 200, answer.text
    refused = httpx.get(f"{service.url}/api/backtest")
    assert refused.status_code == 401 and "detail" in refused.json()
