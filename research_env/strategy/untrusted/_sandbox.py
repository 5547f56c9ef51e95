"""The sandbox: run one Python worker module on untrusted input, contained, and read back one JSON answer.

``run_sandboxed(module, request, files, limits=...)`` makes a private folder (``tempfile.mkdtemp``), writes
``files`` into it and starts ``python -I -m module`` there with the request as JSON on stdin. The worker prints
one JSON object on stdout (``serve`` does that for it); the answer is read with ``json.loads``, never pickle.
The private folder is removed afterwards.

Isolation ``"bwrap"`` (the default) runs the worker in a bubblewrap container: new user, PID, network, IPC,
UTS and cgroup namespaces (no network at all, no further user namespaces) and a new session. Its environment
holds ``PATH``, ``HOME`` (the private folder), ``TMPDIR``, ``LANG``, two allocator settings (so the
address-space limit measures memory in use) and the numeric libraries' ``OPENBLAS_*``, ``OMP_*`` and ``MKL_*``
settings (so the numbers match an uncontained run), nothing else. Its file system, read-only: ``/usr`` (with
the ``/bin``, ``/lib``, ``/lib64`` links or folders), ``/etc/ld.so.cache``, the interpreter (the venv and
``sys.base_prefix``), the folders of the ``research_env`` package and of the worker's package (not the rest of
the checkout: no settings file, data or Git history) and the private folder; ``/proc``, ``/dev``, and the only
places it may write, a 64 MB ``/tmp`` and ``/dev/shm`` in memory. No home folder, no other ``/etc`` file, no
host ``/tmp``, nothing written on the host's disks.
Isolation ``"process"`` (an operator's explicit choice) keeps the limits, the clean environment and the private
working folder (writable, also its ``TMPDIR``) but not the namespaces; ``SandboxRun.isolation`` says which ran.

Limits, set in the child before it executes anything (``preexec_fn``) and inherited by the worker: CPU seconds
(``SIGXCPU``, then ``SIGKILL`` a second later), address space, open files, file size (the output cap) and no
core files. The wall-clock ``timeout`` and the output cap kill the whole process group; with bwrap,
``--die-with-parent`` and the PID namespace take every process of the container with it.

A fork bomb is stopped by a seccomp filter, not by ``RLIMIT_NPROC``: the kernel never applies that limit to
host root (``copy_process`` skips the check for ``INIT_USER``), and bwrap started by root maps the sandbox's
user to host uid 0, so a root-run sandbox could fork without end (tested: 20 of 20 forks succeed under
``RLIMIT_NPROC=5``). The filter, loaded by bwrap (``--seccomp``) or, for ``"process"``, by the child itself
(``prctl``) just before the worker starts, fails ``fork``, ``vfork`` and every ``clone`` that does not make a
thread with ``EPERM``, and ``clone3`` (whose flags it cannot read) with ``ENOSYS``, so the C library falls
back to ``clone``; threads still work, syscalls of another ABI (i386, x32) are refused. It is built for x86-64
and AArch64.

A worker killed by a limit is reported in ``SandboxRun.killed_because``: ``"cpu"``, ``"memory"`` (it died of
``MemoryError``), ``"timeout"``, ``"output"`` or ``"signal N"``.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import json
import os
import platform
import resource
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError
from ...settings import Settings, load_settings

__all__ = ["ContainmentError", "SandboxLimits", "SandboxRun", "bwrap_available", "run_sandboxed", "serve"]

_PACKAGE = Path(__file__).resolve().parents[2]  # research_env/
_MB = 1024 * 1024
_STDERR_TAIL = 64 * 1024
_READ = 64 * 1024
_TMP_SIZE = 64 * _MB  # the sandbox's own /tmp, in memory
_LINKS = ("/bin", "/lib", "/lib64")  # on merged-/usr systems links into /usr, else folders of their own
_ENV_FILES = ("/etc/ld.so.cache",)
#: The numeric libraries' settings (kernel choice, threads), passed on so contained numbers match uncontained ones.
_NUMERIC_ENV = ("OPENBLAS_", "OMP_", "MKL_")
#: Allocators that reserve no address space ahead (Arrow's mimalloc takes 1 GB, each glibc arena 64 MB), so the
#: address-space limit measures memory in use.
_ALLOCATOR_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_ARENA_MAX": "2"}


class ContainmentError(InputError):
    """The sandbox cannot run, or stopped a run at one of its limits; the message names the setting to change."""


@dataclass(frozen=True)
class SandboxLimits:
    """What one contained run may use: CPU seconds, address space (MB), open files, wall seconds (``None``: no
    limit), bytes it may send back or write to one file, and the isolation (``"bwrap"`` or ``"process"``)."""

    cpu_seconds: int = 120
    memory_mb: int = 4096
    max_files: int = 256
    timeout: float | None = 300.0
    max_output_bytes: int = 64 * _MB
    isolation: str = "bwrap"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SandboxLimits:
        """The limits of ``[untrusted]`` in ``settings`` (default: ``load_settings()``)."""
        untrusted = (settings if settings is not None else load_settings()).untrusted
        return cls(cpu_seconds=untrusted.cpu_seconds, memory_mb=untrusted.memory_mb, max_files=untrusted.max_files,
                   timeout=untrusted.timeout, max_output_bytes=untrusted.max_output_mb * _MB,
                   isolation=untrusted.isolation)


@dataclass
class SandboxRun:
    """How a contained run ended: the worker's JSON answer (``None``: none), its exit status, the tail of its
    stderr, the isolation it ran under, and the limit that killed it (``None``: it ended by itself)."""

    response: dict | None
    returncode: int
    stderr: str
    isolation: str
    killed_because: str | None = None


def bwrap_available() -> str | None:
    """``None`` when bubblewrap can start this interpreter in the sandbox; else why not."""
    if shutil.which("bwrap") is None:
        return "bwrap not found: install the Debian package bubblewrap"
    try:
        with (tempfile.TemporaryDirectory(prefix="research-env-sandbox-") as folder,
              _bwrap(folder, None, [sys.executable, "-I", "-c", ""]) as (command, fds)):
            done = subprocess.run(command, env=_environment(folder, "/tmp"), pass_fds=fds, capture_output=True,
                                  timeout=30)
    except (OSError, subprocess.TimeoutExpired, ContainmentError) as e:
        return f"bwrap could not start: {e}"
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        return f"bwrap failed: {said}"
    return None


def run_sandboxed(module: str, request: dict, files: dict[str, bytes], *, limits: SandboxLimits) -> SandboxRun:
    """Run ``python -I -m module`` contained, with ``request`` as JSON on stdin and ``files`` (plain file names)
    in its private working folder; a ``SandboxRun`` with its JSON answer.

    ``ContainmentError`` when isolation is ``"bwrap"`` and bubblewrap is unusable.
    """
    if limits.isolation not in ("bwrap", "process"):
        raise ContainmentError(f'sandbox isolation must be "bwrap" or "process", got {limits.isolation!r}')
    for name in files:
        if name != Path(name).name or name in ("", ".", ".."):
            raise InputError(f"sandbox file name {name!r} must be a plain file name (no folders), e.g. 'SPY.parquet'")
    if limits.isolation == "bwrap":
        reason = bwrap_available()
        if reason is not None:
            raise ContainmentError(f"untrusted code cannot be contained: bubblewrap is unusable ({reason}); install "
                                   'or fix bubblewrap, or let an operator accept weaker isolation with `[untrusted] '
                                   'isolation = "process"` in research-env.toml')
    folder = tempfile.mkdtemp(prefix="research-env-sandbox-")
    try:
        for name, data in files.items():
            Path(folder, name).write_bytes(data)
        with _request_file(request) as stdin:
            return _run(module, folder, stdin, limits)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def serve(handle: Callable[[dict], dict]) -> None:
    """The worker's side: read the JSON request from stdin, call ``handle`` with stdout pointing at stderr (stray
    prints cannot spoil the answer), and write its answer as one JSON object to the real stdout."""
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    answer = handle(json.load(sys.stdin))
    with os.fdopen(answer_fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(answer))


# --- the run ------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _request_file(request: dict) -> Iterator:
    try:
        text = json.dumps(request)
    except (TypeError, ValueError) as e:
        raise InputError(f"the sandbox request holds a value JSON cannot carry ({e}); pass numbers, text, "
                         "booleans, lists and dicts") from e
    with tempfile.TemporaryFile() as file:
        file.write(text.encode())
        file.seek(0)
        yield file


def _run(module: str, folder: str, stdin, limits: SandboxLimits) -> SandboxRun:
    python = [sys.executable, "-I", "-m", module]
    with contextlib.ExitStack() as stack:
        if limits.isolation == "bwrap":
            command, fds = stack.enter_context(_bwrap(folder, module, python))
            tmp, before_exec = "/tmp", _limiter(limits, None)
        else:
            command, fds = python, ()
            tmp, before_exec = folder, _limiter(limits, _no_fork_filter())
        process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=folder,
                                   env=_environment(folder, tmp), pass_fds=fds, start_new_session=True,
                                   preexec_fn=before_exec)
    stdout, stderr, killed = _collect(process, limits)
    returncode = process.wait()
    text = stderr.decode(errors="replace")
    killed = killed or _died_of(returncode, text, limits.isolation)
    return SandboxRun(_answer(stdout) if killed is None else None, returncode, text, limits.isolation, killed)


def _collect(process: subprocess.Popen, limits: SandboxLimits) -> tuple[bytes, bytes, str | None]:
    """Read stdout (capped) and the tail of stderr until both close; kill the process group at the wall-clock
    timeout or when stdout passes the cap."""
    deadline = time.monotonic() + limits.timeout if limits.timeout is not None else None
    out, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, out)
        selector.register(process.stderr, selectors.EVENT_READ, err)
        while selector.get_map():
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                return _kill(process, out, err, "timeout")
            for key, _ in selector.select(wait):
                chunk = os.read(key.fd, _READ)
                if not chunk:
                    selector.unregister(key.fileobj)
                    key.fileobj.close()
                    continue
                key.data.extend(chunk)
                if key.data is err and len(err) > _STDERR_TAIL:
                    del err[:-_STDERR_TAIL]
                if key.data is out and len(out) > limits.max_output_bytes:
                    return _kill(process, out, err, "output")
    return bytes(out), bytes(err), None


def _kill(process: subprocess.Popen, out: bytearray, err: bytearray, why: str) -> tuple[bytes, bytes, str]:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for stream in (process.stdout, process.stderr):
        if not stream.closed:
            stream.close()
    return bytes(out), bytes(err), why


def _died_of(returncode: int, stderr: str, isolation: str) -> str | None:
    """The limit a worker that ended by itself died of, if any (bwrap reports a signal as 128 + its number)."""
    signum = -returncode if returncode < 0 else returncode - 128 if isolation == "bwrap" and returncode > 128 else 0
    if signum == signal.SIGXCPU:
        return "cpu"
    if signum:
        return f"signal {signum}"
    lines = stderr.strip().splitlines()
    if returncode != 0 and lines and lines[-1].startswith("MemoryError"):
        return "memory"
    return None


def _answer(stdout: bytes) -> dict | None:
    try:
        answer = json.loads(stdout)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


# --- what the child sees -----------------------------------------------------------------------------------------


def _environment(home: str, tmp: str) -> dict[str, str]:
    numeric = {key: value for key, value in os.environ.items() if key.startswith(_NUMERIC_ENV)}
    # numba's on-disk cache must be writable: the package folder is read-only here, so kernels cache in the
    # private /tmp (and are compiled afresh per run when a run needs them).
    return {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": tmp, "LANG": "C.UTF-8", "NUMBA_CACHE_DIR": f"{tmp}/numba",
            **_ALLOCATOR_ENV, **numeric}


@contextlib.contextmanager
def _bwrap(folder: str, module: str | None, command: list[str]) -> Iterator[tuple[list[str], tuple[int]]]:
    """bwrap's command line around ``command``, and the descriptor it reads the no-fork filter from (open for the
    block)."""
    program = _no_fork_filter()
    read, write = os.pipe()
    try:
        os.write(write, program)
        os.close(write)
        yield [*_bwrap_options(folder, module), "--seccomp", str(read), *command], (read,)
    finally:
        os.close(read)


def _bwrap_options(folder: str, module: str | None) -> list[str]:
    """bwrap and its options: namespaces, environment, and the read-only file system."""
    args = [shutil.which("bwrap"), "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--clearenv"]
    for key, value in _environment(folder, "/tmp").items():
        args += ["--setenv", key, value]
    args += ["--ro-bind", "/usr", "/usr"]
    for path in _LINKS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _ENV_FILES:
        args += ["--ro-bind-try", path, path]
    args += ["--size", str(_TMP_SIZE), "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev", "--size", str(_TMP_SIZE),
             "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    for path in _python_paths(module):
        args += ["--ro-bind", path, path]
    return [*args, "--ro-bind", folder, folder, "--remount-ro", "/", "--chdir", folder]


def _python_paths(module: str | None) -> list[str]:
    """What the worker imports from outside ``/usr``: the venv, the base interpreter, and the folders of the
    ``research_env`` package and of ``module``'s top-level package (not the rest of their checkout: no settings
    file, data, notebooks or Git history)."""
    candidates = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
                  os.path.dirname(os.path.realpath(sys.executable)), str(_PACKAGE)}
    spec = importlib.util.find_spec(module.partition(".")[0]) if module is not None else None
    if spec is not None and spec.submodule_search_locations:
        candidates.update(spec.submodule_search_locations)
    elif spec is not None and spec.origin is not None:
        candidates.add(spec.origin)
    chosen: list[str] = []
    for path in sorted({os.path.realpath(p) for p in candidates} | candidates, key=len):
        if not any(path == c or path.startswith(c.rstrip("/") + "/") for c in ("/usr", *chosen)):
            chosen.append(path)
    return chosen


# --- limits ------------------------------------------------------------------------------------------------------


def _limiter(limits: SandboxLimits, program: bytes | None) -> Callable[[], None]:
    """What the child runs before it executes: the resource limits, and the no-fork filter when ``program`` is
    given (bwrap loads it itself)."""
    install = _filter_installer(program) if program is not None else None
    memory = limits.memory_mb * _MB

    def before_exec() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.max_files, limits.max_files))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_output_bytes, limits.max_output_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if install is not None:
            install()

    return before_exec


#: machine -> (AUDIT_ARCH_*, clone, clone3, the other process-making syscalls)
_SYSCALLS = {"x86_64": (0xC000003E, 56, 435, (57, 58)), "aarch64": (0xC00000B7, 220, 435, ())}
_CLONE_THREAD = 0x00010000
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = 1, 38


def _no_fork_filter() -> bytes:
    """A classic-BPF seccomp program: no new processes, threads allowed (see the module's docstring)."""
    machine = platform.machine()
    if machine not in _SYSCALLS:
        raise ContainmentError(f"the sandbox's no-fork filter knows x86_64 and aarch64, not {machine}; untrusted "
                               "code cannot be contained on this machine")
    arch, clone, clone3, forks = _SYSCALLS[machine]
    # jumps count instructions forward from the next one; the three returns sit at the end
    checks = [(clone3, "nosys"), *((number, "deny") for number in forks)]
    body = [("ld", 4), ("jeq", arch, 0, "deny"), ("ld", 0), ("jge", 0x40000000, "deny", 0)]
    body += [("jeq", number, target, 0) for number, target in checks]
    body += [("jeq", clone, 0, "allow"), ("ld", 16), ("jset", _CLONE_THREAD, "allow", "deny")]
    ends = {"allow": len(body), "deny": len(body) + 1, "nosys": len(body) + 2}
    codes = {"ld": 0x20, "jeq": 0x15, "jge": 0x35, "jset": 0x45}
    program = b""
    for at, (op, k, *jumps) in enumerate(body):
        jt, jf = (ends[j] - at - 1 if isinstance(j, str) else j for j in (jumps or (0, 0)))
        program += struct.pack("=HBBI", codes[op], jt, jf, k)
    for value in (_ALLOW, _ERRNO | _EPERM, _ERRNO | _ENOSYS):
        program += struct.pack("=HBBI", 0x06, 0, 0, value)
    return program


class _FilterProgram(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _filter_installer(program: bytes) -> Callable[[], None]:
    """A function that loads ``program`` into the calling process (``no_new_privs`` first, as the kernel asks)."""
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _FilterProgram(len(program) // 8, ctypes.addressof(buffer))

    def install() -> None:
        if prctl(38, 1, 0, 0, 0) or prctl(22, 2, ctypes.addressof(fprog), 0, 0):  # NO_NEW_PRIVS, SECCOMP filter
            raise OSError(ctypes.get_errno(), f"cannot load the no-fork seccomp filter ({len(buffer)} bytes)")

    return install
