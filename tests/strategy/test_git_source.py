"""Strategies from Git repositories made by the tests: refs, discovery, sibling modules per commit, the cache,
errors, a network URL served by ``git daemon`` on loopback, and the origin on every result."""

from __future__ import annotations

import json
import shutil
import socket
import stat
import subprocess
import textwrap
import time
import warnings

import pytest

from research_env import backtest, sweep
from research_env.strategy.git_source import GitError, checkout_strategy, public_url
from tests.sweeps.test_vectorbt import random_bars

STRATEGY = '''
from core.enums import OrderSide
from core.models import Bar, Signal
from strategies.base import StrategyBase

from helpers import OVERSOLD


class RsiMeanReversionStrategy(StrategyBase):
    parameters = ["oversold"]
    timeframe = "1d"

    def __init__(self, symbols=None, oversold=OVERSOLD):
        super().__init__(name="rsi_mean_reversion", symbols=symbols or ["AAA"])
        self.oversold = oversold
        self._held = False

    def on_trade(self, symbol, side, price, volume):
        self._held = str(side) == "BUY"

    def on_bar(self, bar: Bar):
        if len(self._bars[bar.symbol]) < 15:
            return []
        rsi = float(self.indicators_for(bar.symbol).rsi(14)[-1])
        if rsi < self.oversold and not self._held:
            return [Signal(symbol=bar.symbol, side=OrderSide.BUY, strength=1.0, quantity=10)]
        if rsi > 60 and self._held:
            return [Signal(symbol=bar.symbol, side=OrderSide.SELL, strength=1.0, quantity=10)]
        return []
'''
FRAMES = {"AAA": random_bars(300, 5)}
RUN = dict(start="2021-01-01", end="2022-03-01", data=FRAMES)


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def commit_all(repo, message):
    git("add", "-A", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo)


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    """A work repository with two commits on main (only helpers.py changes), a tag, a branch, and a bare clone."""
    monkeypatch.setenv("RESEARCH_ENV_GIT_CACHE", str(tmp_path / "cache"))
    work = tmp_path / "work"
    (work / "strategies").mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=work)
    (work / "strategies" / "rsi_mean_reversion.py").write_text(textwrap.dedent(STRATEGY))
    (work / "strategies" / "helpers.py").write_text("OVERSOLD = 30\n")
    (work / "README.md").write_text("strategies\n")
    first = commit_all(work, "rsi strategy")
    git("tag", "v1", cwd=work)
    (work / "strategies" / "helpers.py").write_text("OVERSOLD = 45\n")
    second = commit_all(work, "looser entry")
    git("checkout", "-q", "-b", "feature", cwd=work)
    (work / "strategies" / "helpers.py").write_text("OVERSOLD = 20\n")
    commit_all(work, "stricter entry")
    git("checkout", "-q", "main", cwd=work)
    bare = tmp_path / "bare.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return {"work": work, "url": bare.as_uri(), "first": first, "second": second, "tmp": tmp_path}


def run_at(repo, **source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return backtest(git_repo=repo["url"], **source, **RUN)


def test_discovery_in_strategies_and_the_origin_of_the_result(repo):
    result = run_at(repo)
    assert result.origin == {"kind": "git", "name": "rsi_mean_reversion", "path": "strategies/rsi_mean_reversion.py",
                             "digest": result.origin["digest"], "repository": repo["url"], "branch": None,
                             "commit": repo["second"], "clean": True}
    assert result.parameters == {"oversold": 45}
    assert f"Code: {repo['url']} @ {repo['second'][:12]} strategies/rsi_mean_reversion.py" in result.report()
    assert result.to_dict()["origin"]["commit"] == repo["second"]


def test_replay_runs_the_recorded_commit_after_the_branch_moved_on(repo):
    from research_env import replay

    result = run_at(repo, git_branch="main")
    assert result.manifest["strategy"]["origin"]["commit"] == repo["second"]
    (repo["work"] / "strategies" / "helpers.py").write_text("OVERSOLD = 55\n")
    commit_all(repo["work"], "even looser entry")
    git("push", "-q", repo["url"], "main", cwd=repo["work"])
    assert run_at(repo, git_branch="main").parameters == {"oversold": 55}
    again = replay(result, data=FRAMES)
    assert again.origin["commit"] == repo["second"] and again.parameters == {"oversold": 45}
    assert again.metrics.to_dict() == result.metrics.to_dict()


def test_each_commit_runs_its_own_sibling_module(repo):
    """Two commits that change only helpers.py: each result is its own commit's, and equals a run of that
    commit's files checked out by hand."""
    for sha, oversold in ((repo["first"], 30), (repo["second"], 45)):
        by_git = run_at(repo, git_commit=sha)
        plain = repo["tmp"] / f"plain-{sha[:7]}"
        git("worktree", "add", "-q", "--detach", str(plain), sha, cwd=repo["work"])
        by_file = backtest(plain / "strategies" / "rsi_mean_reversion.py", **RUN)
        assert by_git.parameters == by_file.parameters == {"oversold": oversold}
        assert [(f.side, f.price, f.timestamp) for f in by_git.fills] == \
            [(f.side, f.price, f.timestamp) for f in by_file.fills]
        assert by_git.origin["commit"] == sha
    assert run_at(repo, git_branch="v1").origin["commit"] == repo["first"]
    feature = run_at(repo, git_branch="feature")
    assert feature.parameters == {"oversold": 20} and feature.origin["branch"] == "feature"


def test_one_checkout_per_commit_read_only_and_reused_offline(repo):
    first = checkout_strategy(repo["url"], commit=repo["first"])
    again = checkout_strategy(repo["url"], commit=repo["first"], offline=True)
    assert first.file == again.file and first.origin == again.origin
    assert stat.S_IMODE(first.file.stat().st_mode) & 0o222 == 0  # read-only (checked by mode: root may write)
    assert first.file.parent.parent.name == repo["first"]
    tip = checkout_strategy(repo["url"], branch="main", offline=True)
    assert tip.origin.commit == repo["second"]


def test_clear_errors_name_the_repository_and_the_fix(repo, tmp_path):
    with pytest.raises(GitError, match=r"branch or tag 'nope' not found in .*bare.git; it has: feature, main, v1"):
        checkout_strategy(repo["url"], branch="nope")
    with pytest.raises(GitError, match=r"commit abcdef1 not found in .*bare.git; check the SHA"):
        checkout_strategy(repo["url"], commit="abcdef1")
    with pytest.raises(GitError, match=r"nope.py not found in .*bare.git at [0-9a-f]{12}; Python files there: "
                                       r"strategies/helpers.py, strategies/rsi_mean_reversion.py"):
        checkout_strategy(repo["url"], strategy_path="nope.py")
    with pytest.raises(GitError, match=r"repository .*missing.git could not be cloned: .* Check the URL"):
        checkout_strategy((tmp_path / "missing.git").as_uri())
    with pytest.raises(GitError, match=r"was never fetched, so it cannot be used offline"):
        checkout_strategy((tmp_path / "other.git").as_uri(), offline=True)


def test_root_discovery_several_candidates_and_naming_warnings(tmp_path, monkeypatch):
    monkeypatch.setenv("RESEARCH_ENV_GIT_CACHE", str(tmp_path / "cache"))
    work = tmp_path / "flat"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    (work / "helpers.py").write_text("OVERSOLD = 30\n")
    (work / "MyRsi.py").write_text(textwrap.dedent(STRATEGY))
    commit_all(work, "one strategy at the root")
    with pytest.warns(UserWarning, match=r"MyRsi.py: file name MyRsi.py is not snake_case; class "
                                         r"RsiMeanReversionStrategy is not named MyrsiStrategy; strategy name "
                                         r"'rsi_mean_reversion' does not match the file name 'MyRsi'"):
        found = checkout_strategy(str(work))
    assert found.origin.path == "MyRsi.py" and found.origin.repository == str(work)
    (work / "second.py").write_text(textwrap.dedent(STRATEGY).replace("RsiMeanReversion", "Second"))
    commit_all(work, "another one")
    with pytest.raises(GitError, match=r"has several strategies \(MyRsi.py, second.py\); pick one with "
                                       r"--strategy-path"):
        checkout_strategy(str(work))


def test_a_local_working_copy_with_uncommitted_changes_runs_its_commit_and_says_so(repo):
    (repo["work"] / "strategies" / "helpers.py").write_text("OVERSOLD = 99\n")
    with pytest.warns(UserWarning, match=r"has uncommitted changes; the run uses commit"):
        found = checkout_strategy(str(repo["work"]))
    assert found.origin.clean is False
    assert "OVERSOLD = 45" in (found.file.parent / "helpers.py").read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_network_url_served_by_git_daemon_on_loopback(repo):
    port = free_port()
    base = repo["tmp"]
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={base}",
                               "--listen=127.0.0.1", f"--port={port}", str(base)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        url = f"git://127.0.0.1:{port}/bare.git"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = sweep(git_repo=url, git_branch="v1", param_grid={"oversold": [25, 30]}, mode="bar",
                           max_workers=1, **RUN)
        assert result.origin["repository"] == url and result.origin["commit"] == repo["first"]
        assert [r["params"] for r in result.rows] == [{"oversold": 25}, {"oversold": 30}]
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def test_the_command_line_takes_a_git_source_and_prints_the_origin(repo, tmp_path, capsys):
    from research_env.cli import main

    store = tmp_path / "store"
    store.mkdir()
    code = main(["backtest", "--git-repo", repo["url"], "--commit", repo["first"], "--strategy-path",
                 "strategies/rsi_mean_reversion.py", "--data", str(store), "--start", "2023-01-01", "--end",
                 "2023-06-01", "--json"])
    assert code == 0
    origin = json.loads(capsys.readouterr().out)["origin"]
    assert (origin["commit"], origin["path"]) == (repo["first"], "strategies/rsi_mean_reversion.py")
    assert main(["backtest", "--branch", "main"]) == 2
    assert "need `--git-repo`, the repository" in capsys.readouterr().err


def test_credentials_never_reach_the_origin():
    assert public_url("https://user:s3cret@example.com:8443/team/strategies.git") == \
        "https://example.com:8443/team/strategies.git"
    assert public_url("git@github.com:team/strategies.git") == "git@github.com:team/strategies.git"
    assert shutil.which("git")


def test_the_magics_take_a_git_source(repo, tmp_path):
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "research_env")
    store = tmp_path / "store"
    store.mkdir()
    dates = "--start 2023-01-01 --end 2023-06-01 --quiet"
    ip.run_cell(f"res = %backtest --git-repo {repo['url']} --branch v1 --data {store} {dates}")
    assert ip.user_ns["res"].origin["commit"] == repo["first"]
    ip.run_cell(f"sw = %sweep --git-repo {repo['url']} --grid oversold=25,35 {dates} "
                f"--option mode='bar' max_workers=1 data='{store}'")
    assert ip.user_ns["sw"].origin["commit"] == repo["second"]
