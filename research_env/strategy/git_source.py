"""Strategies from Git repositories: a cached mirror per repository, a read-only checkout per commit.

``checkout_strategy(repo, branch=..., commit=..., strategy_path=...)`` returns
the strategy file of one commit and its ``origin`` (repository URL without
credentials, branch, resolved commit, path, whether a local working copy was
clean). The ``git`` command does the work, so the user's SSH agent and
credential helpers apply and research-env stores no credentials.

Each repository is mirrored once (``git clone --mirror``) under the cache
folder and fetched when a branch or tag is asked for (a commit already in the
mirror needs no fetch; ``offline=True`` never fetches and uses what the mirror
has). Each commit is extracted once into its own read-only folder, so two runs
at one commit share a checkout, a moving branch never changes a finished
result, and two commits never share a sibling module (the loader loads a
folder's modules under a name private to that folder).

Without ``strategy_path`` the strategy is discovered as the guide says:
``strategies/`` first, then the repository root, looking for ``StrategyBase``
subclasses and function-style files, one per file.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import InputError

__all__ = ["GitCheckout", "GitError", "Origin", "checkout_strategy", "default_git_cache", "public_url"]

_SHA = re.compile(r"[0-9a-f]{7,40}")
_LIFECYCLE = {"on_bar_close", "strategy"}


class GitError(InputError):
    """A Git source cannot be used: repository, ref or path not found, or the network failed; the message says
    which and how to fix it."""


@dataclass(frozen=True)
class Origin:
    """Where a result's code came from: repository (no credentials), branch or tag asked for, resolved commit,
    path in the repository, and whether a local working copy had uncommitted changes (``clean``)."""

    repository: str
    branch: str | None
    commit: str
    path: str
    clean: bool

    def to_dict(self) -> dict:
        """Plain data."""
        return asdict(self)

    def describe(self) -> str:
        """One line for reports: ``<repository> @ <branch> <commit> <path>``."""
        ref = f" {self.branch}" if self.branch else ""
        dirty = "" if self.clean else " (the local working copy had uncommitted changes, not used)"
        return f"{self.repository} @{ref} {self.commit[:12]} {self.path}{dirty}"


@dataclass(frozen=True)
class GitCheckout:
    """A strategy file in a read-only checkout of one commit, and its origin."""

    file: Path
    origin: Origin


def default_git_cache() -> Path:
    """``$RESEARCH_ENV_GIT_CACHE``, else ``~/.cache/research-env/git``."""
    configured = os.environ.get("RESEARCH_ENV_GIT_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "research-env" / "git"


def public_url(url: str) -> str:
    """``url`` without a user name or password (``https://token@host/x.git`` -> ``https://host/x.git``)."""
    parts = urlsplit(url)
    if parts.scheme and parts.hostname and (parts.username or parts.password):
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return url


def checkout_strategy(repo: str, *, branch: str | None = None, commit: str | None = None,
                      strategy_path: str | None = None, offline: bool = False,
                      cache: Path | None = None) -> GitCheckout:
    """The strategy file of ``repo`` at ``commit`` (else the tip of ``branch`` or tag, else the default branch)."""
    if not isinstance(repo, str) or not repo.strip():
        raise GitError(f"`git_repo` must be a repository URL or path, got {repo!r}")
    url = _normalise(repo.strip())
    cache = Path(cache) if cache is not None else default_git_cache()
    mirror = _mirror(url, cache, offline=offline, needs_fetch=commit is None)
    sha = _resolve(mirror, url, branch, commit, offline)
    folder = _extract(mirror, sha, cache / "checkouts" / _key(url))
    relative = _find_strategy(folder, strategy_path, url, sha)
    origin = Origin(public_url(repo.strip()), branch, sha, relative, _clean(url))
    if not origin.clean:
        warnings.warn(f"{origin.repository} has uncommitted changes; the run uses commit {sha[:12]}, not them",
                      stacklevel=3)
    return GitCheckout(folder / relative, origin)


# --- git -------------------------------------------------------------------------------------------------------


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)
    except FileNotFoundError as e:
        raise GitError("the `git` command is not installed; install git (e.g. apt-get install git)") from e


def _normalise(repo: str) -> str:
    """Local folders become absolute paths (their mirror key must not depend on the working directory)."""
    if "://" in repo or re.match(r"^[\w.-]+@[\w.-]+:", repo):
        return repo
    path = Path(repo).expanduser()
    if not path.exists():
        raise GitError(f"repository {repo} not found: no such folder; pass a URL (https://, ssh://, git@host:, "
                       "file://) or the path of a Git repository")
    return str(path.resolve())


def _key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def _mirror(url: str, cache: Path, *, offline: bool, needs_fetch: bool) -> Path:
    mirror = cache / "mirrors" / f"{_key(url)}.git"
    if not mirror.is_dir():
        if offline:
            raise GitError(f"{public_url(url)} was never fetched, so it cannot be used offline; run once without "
                           "--offline")
        mirror.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=".clone-", dir=mirror.parent))
        done = _git("clone", "--quiet", "--mirror", url, str(temporary))
        if done.returncode != 0:
            shutil.rmtree(temporary, ignore_errors=True)
            raise GitError(f"repository {public_url(url)} could not be cloned: {_last_line(done.stderr)}. Check "
                           "the URL and your access (SSH agent or credential helper)")
        try:
            temporary.rename(mirror)
        except OSError:  # another process mirrored it meanwhile
            shutil.rmtree(temporary, ignore_errors=True)
    elif needs_fetch and not offline:
        done = _git("fetch", "--quiet", "--prune", "origin", cwd=mirror)
        if done.returncode != 0:
            raise GitError(f"fetching {public_url(url)} failed: {_last_line(done.stderr)}. Pass --offline "
                           "(offline=True) to use the commits fetched before")
    return mirror


def _resolve(mirror: Path, url: str, branch: str | None, commit: str | None, offline: bool) -> str:
    if commit is not None:
        if not _SHA.fullmatch(str(commit).lower()):
            raise GitError(f"`git_commit` {commit!r} is not a commit SHA (7 to 40 hexadecimal digits)")
        found = _git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}", cwd=mirror)
        if found.returncode != 0 and not offline:
            _git("fetch", "--quiet", "--prune", "origin", cwd=mirror)
            found = _git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}", cwd=mirror)
        if found.returncode != 0:
            raise GitError(f"commit {commit} not found in {public_url(url)}; check the SHA (git log)")
        sha = found.stdout.strip()
        if branch is not None and _git("merge-base", "--is-ancestor", sha, f"refs/heads/{branch}",
                                       cwd=mirror).returncode != 0:
            warnings.warn(f"commit {sha[:12]} is not on branch {branch} of {public_url(url)}", stacklevel=4)
        return sha
    ref = "HEAD" if branch is None else branch
    candidates = [ref] if branch is None else [f"refs/heads/{branch}", f"refs/tags/{branch}"]
    for candidate in candidates:
        found = _git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", cwd=mirror)
        if found.returncode == 0:
            return found.stdout.strip()
    names = _git("for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags", cwd=mirror).stdout.split()
    raise GitError(f"branch or tag {ref!r} not found in {public_url(url)}; it has: {', '.join(names) or 'no refs'}")


def _extract(mirror: Path, sha: str, root: Path) -> Path:
    """The read-only folder holding commit ``sha`` (extracted once, shared by every run at that commit)."""
    folder = root / sha
    if folder.is_dir():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=mirror, capture_output=True, check=False)
    if archive.returncode != 0:
        raise GitError(f"commit {sha[:12]} could not be read: {_last_line(archive.stderr.decode(errors='replace'))}")
    temporary = Path(tempfile.mkdtemp(prefix=".checkout-", dir=root))
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(temporary, filter="data")
    for path in sorted(temporary.rglob("*"), reverse=True):
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        temporary.rename(folder)
    except OSError:  # another run extracted the same commit meanwhile
        _remove_read_only(temporary)
    return folder


def _remove_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    folder.chmod(folder.stat().st_mode | stat.S_IWUSR)
    shutil.rmtree(folder, ignore_errors=True)


def _clean(url: str) -> bool:
    """False when ``url`` is a local working copy with uncommitted changes (the run uses its commits only)."""
    if "://" in url or not (Path(url) / ".git").exists():
        return True
    return _git("status", "--porcelain", "--untracked-files=no", cwd=Path(url)).stdout.strip() == ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message from git"


# --- discovery -------------------------------------------------------------------------------------------------


def _find_strategy(folder: Path, strategy_path: str | None, url: str, sha: str) -> str:
    where = f"{public_url(url)} at {sha[:12]}"
    if strategy_path is not None:
        relative = Path(strategy_path)
        if relative.is_absolute() or ".." in relative.parts:
            raise GitError(f"`strategy_path` {strategy_path!r} must be a path inside the repository, e.g. "
                           "strategies/rsi_mean_reversion.py")
        in_strategies = Path("strategies") / relative
        if not (folder / relative).is_file() and len(relative.parts) == 1 and (folder / in_strategies).is_file():
            relative = in_strategies  # a bare file name may live in strategies/, as the guide has it
        if not (folder / relative).is_file():
            near = sorted(str(p.relative_to(folder)) for p in folder.rglob(f"*{relative.suffix or '.py'}"))[:10]
            raise GitError(f"{strategy_path} not found in {where}; Python files there: {', '.join(near) or 'none'}")
        _check_naming(folder / relative)
        return relative.as_posix()
    for directory in (folder / "strategies", folder):
        found = [p for p in sorted(directory.glob("*.py")) if not p.name.startswith("_") and _is_strategy(p)]
        if len(found) == 1:
            _check_naming(found[0])
            return found[0].relative_to(folder).as_posix()
        if found:
            names = ", ".join(p.relative_to(folder).as_posix() for p in found)
            raise GitError(f"{where} has several strategies ({names}); pick one with --strategy-path "
                           "(strategy_path=...)")
    raise GitError(f"no strategy found in {where}: no StrategyBase subclass or on_bar_close function in "
                   "strategies/*.py or the root; pass --strategy-path (strategy_path=...)")


def _is_strategy(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return False
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(_base_name(b) == "StrategyBase" for b in node.bases):
            return True
        if isinstance(node, ast.FunctionDef) and node.name in _LIFECYCLE:
            return True
    return False


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _check_naming(path: Path) -> None:
    """The guide's naming convention, as warnings: snake_case file, ``PascalCaseStrategy`` class, ``name``."""
    stem = path.stem
    notes = []
    if not re.fullmatch(r"[a-z][a-z0-9_]*", stem):
        notes.append(f"file name {path.name} is not snake_case")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    expected = "".join(part.capitalize() for part in stem.split("_")) + "Strategy"
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(_base_name(b) == "StrategyBase" for b in node.bases):
            if node.name != expected:
                notes.append(f"class {node.name} is not named {expected}")
            name = _declared_name(node)
            if name is not None and name != stem:
                notes.append(f"strategy name {name!r} does not match the file name {stem!r}")
    if notes:
        warnings.warn(f"{path.name}: {'; '.join(notes)} (the guide's naming convention)", stacklevel=4)


def _declared_name(cls: ast.ClassDef) -> str | None:
    for node in ast.walk(cls):
        if isinstance(node, ast.Call) and _base_name(node.func) == "__init__":
            for keyword in node.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return None
