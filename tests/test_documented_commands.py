"""Every shell command shown in README.md, docs/*.md and the notebooks' markdown cells runs and exits 0.

A command is a line of a fenced ```bash (``sh``, ``shell``, ``console``) block; a trailing backslash joins
the next line, ``# comments`` go, and a leading ``$ `` prompt is dropped. A block is exempt when the line
before its opening fence is ``<!-- not-run: reason -->`` (a server that keeps running, the recursive
``make test``, a file name that only illustrates); the reason is required. Every other command must run: one
that exits non-zero fails the test with its output, so a document cannot show a command that does not work.

Each document's commands run in order, as a reader would type them, in a sandbox of their own: a folder that
looks like the checkout (``notebooks/``, ``strategies/`` and ``.venv/`` linked, ``../shared`` beside it for
the real bars), with its own bar store, runs folder, schedule folder and home in the environment, so a
``-o reports/`` lands in the sandbox and nothing touches the checkout.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from tests.conftest import REPO_ROOT, SHARED_DATA

SHELLS = ("bash", "sh", "shell", "console")
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(\S.*?)\s*-->\s*$")
FENCE = re.compile(r"^\s*```\s*(\w*)")
TIMEOUT_S = 240


@dataclass(frozen=True)
class Command:
    source: str  # document and line
    text: str
    skip_reason: str | None


def commands_in(text: str, name: str) -> list[Command]:
    """The shell commands of a markdown text, each with its line and the block's not-run reason (if any)."""
    found: list[Command] = []
    lines = text.splitlines()
    language, reason, pending, start = None, None, "", 0
    for number, line in enumerate(lines, 1):
        fence = FENCE.match(line)
        if fence and language is None:
            language = fence.group(1) or "text"
            before = NOT_RUN.match(lines[number - 2]) if number > 1 else None
            reason = before.group(1) if before else None
            continue
        if fence:
            language = None
            continue
        if language not in SHELLS:
            continue
        part = re.sub(r"(^|\s)#.*$", "", line).rstrip() if not pending else line.rstrip()
        part = re.sub(r"\s#\s.*$", "", part).rstrip()
        if not pending and not part.strip():
            continue
        if not pending:
            start = number
            part = re.sub(r"^\s*\$\s+", "", part)
        if part.endswith("\\"):
            pending += part[:-1].rstrip() + " "
            continue
        found.append(Command(f"{name}:{start}", (pending + part.strip()).strip(), reason))
        pending = ""
    return found


def documents() -> dict[str, list[Command]]:
    """README, every doc and every notebook's markdown cells, by name."""
    found = {}
    for path in [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]:
        found[path.relative_to(REPO_ROOT).as_posix()] = commands_in(path.read_text(encoding="utf-8"),
                                                                    path.relative_to(REPO_ROOT).as_posix())
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        book = nbformat.read(str(path), as_version=4)
        name = path.relative_to(REPO_ROOT).as_posix()
        found[name] = [c for cell in book.cells if cell.cell_type == "markdown"
                       for c in commands_in(cell.source, name)]
    return found


DOCUMENTS = documents()


def test_the_parser_joins_lines_drops_comments_and_reads_the_marker():
    text = ("intro\n\n```bash\n$ research-env data list   # which files\nresearch-env backtest x \\\n"
            "    --symbols SPY  # daily\n```\n<!-- not-run: starts a server -->\n```bash\nmake serve\n```\n"
            "```python\nprint('not a command')\n```\n")
    assert commands_in(text, "t.md") == [
        Command("t.md:4", "research-env data list", None),
        Command("t.md:5", "research-env backtest x --symbols SPY", None),
        Command("t.md:10", "make serve", "starts a server"),
    ]


def test_every_document_shows_some_command_and_every_exemption_gives_a_reason():
    assert DOCUMENTS["README.md"] and DOCUMENTS["notebooks/strategy_report.ipynb"]
    for commands in DOCUMENTS.values():
        assert all(c.skip_reason is None or c.skip_reason.strip() for c in commands)


@pytest.mark.parametrize("document", [d for d, commands in DOCUMENTS.items() if commands])
def test_documented_commands_run(document, tmp_path, shared_data):
    root = tmp_path / "sandbox"
    checkout = root / "checkout"
    checkout.mkdir(parents=True)
    for name in ("notebooks", "strategies", ".venv"):
        (checkout / name).symlink_to(REPO_ROOT / name)
    (root / "shared").symlink_to(SHARED_DATA.parent)
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "RESEARCH_ENV_DATA": str(root / "store"),
           "RESEARCH_ENV_RUNS": str(root / "runs"), "RESEARCH_ENV_SCHEDULE": str(root / "schedule"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for key in ("RESEARCH_ENV_BATCH", "RESEARCH_ENV_STRATEGIES", "VIRTUAL_ENV"):
        env.pop(key, None)
    ran = []
    for command in DOCUMENTS[document]:
        if command.skip_reason:
            continue
        done = _run(command, checkout, env)
        assert done.returncode == 0, (f"{command.source}: `{command.text}` exited {done.returncode}; mark it "
                                      f"<!-- not-run: reason --> only if it cannot run in a test\n"
                                      f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        ran.append(command.text)
    assert ran or all(c.skip_reason for c in DOCUMENTS[document])


def _run(command: Command, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """``command`` in bash, in its own process group: one still running after ``TIMEOUT_S`` (a server nobody
    marked) is stopped with everything it started, and fails the test."""
    process = subprocess.Popen(["bash", "-c", command.text], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{command.source}: `{command.text}` still ran after {TIMEOUT_S} s; a command that keeps "
                    "running needs <!-- not-run: reason --> on the line before its block")
    return subprocess.CompletedProcess(command.text, process.returncode, out, err)
