"""Running one program and watching it: launch, read its capped output,
kill it and every descendant at the wall limit, classify what happened
(``run_program``, ``run_many``)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from gobig.methods.code.sandbox.compare import COMPARE_MODES, check_syntax, outputs_match
from gobig.methods.code.sandbox.isolation import (
    ISOLATIONS,
    SANDBOX_DIR,
    InterpreterFiles,
    Limits,
    bwrap_command,
    interpreter_files,
    leased_uid,
    python_command,
    scrubbed_environment,
)

#: How much stdout (head) and stderr (tail) a result keeps. The comparison
#: sees all of stdout, up to ``Limits.output_bytes``.
KEEP_CHARS = 4096


_STDERR_BYTES = 1 << 16


_READ_BYTES = 1 << 16


@dataclass
class _Raw:
    """What happened, before classification."""

    returncode: int
    stdout: bytes
    stderr: bytes
    stopped: str | None  # "timeout" or "output" when we killed it
    wall_seconds: float


def _processes(zombies: bool = False) -> Iterator[tuple[int, int, int]]:
    """(pid, real uid, threads) of every process. Zombies are left out unless
    asked for: they can't be killed, but until reaped they count against
    RLIMIT_NPROC."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as file:
                status = file.read()
        except OSError:  # exited meanwhile
            continue
        if not zombies and status[status.index("State:") + 6 :].lstrip()[:1] in ("Z", "X"):
            continue
        uid = status[status.index("\nUid:") + 5 :].split(None, 1)[0]
        threads = status[status.index("\nThreads:") + 9 :].split(None, 1)[0]
        yield int(entry.name), int(uid), int(threads)


def _sweep(match: Callable[[int, int], bool]) -> None:
    """SIGKILL every live process that ``match(pid, uid)`` accepts, until
    none is left. Each pass catches what a fork bomb forked during the last
    one, and RLIMIT_NPROC bounds how many it can make."""
    for _ in range(1000):
        victims = [pid for pid, uid, _ in _processes() if match(pid, uid)]
        if not victims:
            return
        for pid in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    raise RuntimeError("could not kill the sandboxed program's processes")


def _cwd_under(pid: int, work: Path) -> bool:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")).is_relative_to(work)
    except OSError:
        return False


def _execute(source: str, stdin: str, limits: Limits, python: str, isolation: str) -> _Raw:
    # The real binary, which the sandbox user can be given access to; a
    # virtualenv's packages are not for untrusted programs.
    python = os.path.realpath(shutil.which(python) or python)
    # Under bubblewrap, the files it needs are found first (once per
    # interpreter); it may be swapped for its base installation's.
    files = interpreter_files(python) if isolation == "bwrap-minimal-fs" else None
    with leased_uid() as uid, tempfile.TemporaryDirectory(prefix="gobig-sandbox-") as folder:
        run = Path(folder)
        (run / "stdin").write_text(stdin, encoding="utf-8")
        (run / "main.py").write_text(source, encoding="utf-8")
        if files is not None:
            return _run_bwrap(run, files, uid, limits)
        return _run_rlimits_only(run, python, uid, limits)


def _run_bwrap(run: Path, files: InterpreterFiles, uid: int | None, limits: Limits) -> _Raw:
    info_fd, info_write = os.pipe()
    try:
        with open(run / "main.py", "rb") as source:
            # RLIMIT_NPROC counts the leased uid's processes, which are only
            # this run's; a normal user's are counted per user namespace,
            # which also holds bwrap's init: one more.
            processes = limits.max_processes if uid is not None else limits.max_processes + 1
            if uid is not None and files.setpriv is None:
                raise OSError("as root the sandbox needs util-linux's setpriv")
            command = bwrap_command(files, uid, limits, info_write, source.fileno()) + python_command(
                files.executable, uid, limits, processes, files.setpriv or "setpriv", files.prlimit
            )
            # bwrap gets the scrubbed environment too: a normal user's program
            # can read the environment of bwrap's init, /proc/1/environ.
            environment = scrubbed_environment(SANDBOX_DIR)
            process, start = _launch(command, run, environment, run / "stdin", (info_write, source.fileno()))
    except BaseException:
        os.close(info_fd)
        raise
    finally:
        os.close(info_write)
    return _supervise(_Started(process, start, info_fd, None), limits)


def _run_rlimits_only(run: Path, python: str, uid: int | None, limits: Limits) -> _Raw:
    # The program's directory sits inside the run's folder, which the
    # sandbox uid may pass through but not list.
    work = run / "work"
    work.mkdir(mode=0o700)
    (run / "main.py").rename(work / "main.py")
    os.chmod(run, 0o711)
    if uid is not None:
        os.chown(work, uid, uid)
        processes = limits.max_processes
        sweep = functools.partial(_sweep, lambda pid, owner: owner == uid)
    else:
        # Best effort for a normal user: the limit counts all their tasks, and
        # an escaped process is recognised by its working directory.
        own, me = os.getuid(), os.getpid()
        processes = (
            sum(threads for _, owner, threads in _processes(zombies=True) if owner == own) + limits.max_processes
        )
        sweep = functools.partial(_sweep, lambda pid, owner: owner == own and pid != me and _cwd_under(pid, work))
    command = python_command(python, uid, limits, processes)
    process, start = _launch(command, work, scrubbed_environment(str(work)), run / "stdin", ())
    return _supervise(_Started(process, start, -1, sweep), limits)


def _launch(
    command: list[str], cwd: Path, env: dict[str, str], stdin: Path, pass_fds: tuple[int, ...]
) -> tuple[subprocess.Popen, float]:
    start = time.monotonic()
    with open(stdin, "rb") as file:
        process = subprocess.Popen(
            command,
            stdin=file,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
            pass_fds=pass_fds,
        )
    return process, start


class _Started:
    """One started program: how to read it, kill all of it, and wait for it."""

    def __init__(self, process: subprocess.Popen, start: float, info_fd: int, sweep: Callable[[], None] | None) -> None:
        self.process = process
        self.start = start
        self.bwrap = info_fd >= 0
        self.info_fd = info_fd  # bwrap writes its namespace init's pid here; -1 without bwrap
        self.sweep = sweep  # finds escaped descendants without bwrap
        self.exited = os.pidfd_open(process.pid)
        self.namespace_init: int | None = None  # pidfd of bwrap's init in the new PID namespace

    def note_info(self, info: bytes) -> None:
        """Hold bwrap's init by pidfd, once it is checked to be still bwrap's
        child, so that a reused pid is never signalled."""
        try:
            pid = json.loads(info)["child-pid"]
            pidfd = os.pidfd_open(pid)
        except (ValueError, KeyError, OSError):  # bwrap failed before starting it
            return
        try:
            with open(f"/proc/{pid}/status") as status:
                parent = next(int(line.split()[1]) for line in status if line.startswith("PPid:"))
        except OSError:
            parent = None
        if parent == self.process.pid:
            self.namespace_init = pidfd
        else:
            os.close(pidfd)

    def kill(self) -> None:
        """SIGKILL the program and every descendant. With bwrap, killing the
        namespace's init makes the kernel kill everything inside it."""
        if self.namespace_init is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.namespace_init, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.sweep is not None:
            self.sweep()

    def reap(self) -> int:
        """Kill what's left, wait for all of it, and return the exit status."""
        self.kill()
        code = self.process.wait()
        if self.namespace_init is not None:
            # The init kills and reaps everything in its namespace before it
            # exits, so once it has, nothing of the program runs any more.
            with selectors.DefaultSelector() as selector:
                selector.register(self.namespace_init, selectors.EVENT_READ)
                selector.select(10)
        return code

    def close(self) -> None:
        for fd in (self.exited, self.namespace_init, self.info_fd):
            if fd is not None and fd >= 0:
                os.close(fd)
        self.process.stdout.close()
        self.process.stderr.close()


def _communicate(child: _Started, limits: Limits) -> tuple[bytearray, bytearray, str | None, float]:
    """Read stdout (up to the limit) and stderr (keeping its tail) until the
    program exits, runs out of wall time, or writes too much. Returns both,
    why we stopped it (None, "timeout" or "output"), and when it ended."""
    buffers = {"stdout": bytearray(), "stderr": bytearray(), "info": bytearray()}
    deadline = child.start + limits.wall_seconds

    def take(label: str, chunk: bytes) -> bool:
        """Keep a chunk; False when stdout went over its limit."""
        buffer = buffers[label]
        buffer += chunk
        if label == "stderr" and len(buffer) > 2 * _STDERR_BYTES:
            del buffer[:-_STDERR_BYTES]
        return label != "stdout" or len(buffer) <= limits.output_bytes

    with selectors.DefaultSelector() as selector:
        selector.register(child.process.stdout.fileno(), selectors.EVENT_READ, "stdout")
        selector.register(child.process.stderr.fileno(), selectors.EVENT_READ, "stderr")
        if child.info_fd >= 0:
            selector.register(child.info_fd, selectors.EVENT_READ, "info")
        selector.register(child.exited, selectors.EVENT_READ, "exit")
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return buffers["stdout"], buffers["stderr"], "timeout", time.monotonic()
            for key, _ in selector.select(remaining):
                if key.data == "exit":
                    ended = time.monotonic()
                    # Take what's already in the pipes; a descendant that
                    # still holds them open must not keep us waiting.
                    for other in list(selector.get_map().values()):
                        if other.data == "exit":
                            continue
                        os.set_blocking(other.fd, False)
                        with contextlib.suppress(BlockingIOError):
                            while chunk := os.read(other.fd, _READ_BYTES):
                                if not take(other.data, chunk):
                                    return buffers["stdout"], buffers["stderr"], "output", ended
                        if other.data == "info":
                            child.note_info(bytes(buffers["info"]))
                    return buffers["stdout"], buffers["stderr"], None, ended
                chunk = os.read(key.fd, _READ_BYTES)
                if not chunk:
                    selector.unregister(key.fd)
                    if key.data == "info":
                        child.note_info(bytes(buffers["info"]))
                elif not take(key.data, chunk):
                    return buffers["stdout"], buffers["stderr"], "output", time.monotonic()


def _supervise(child: _Started, limits: Limits) -> _Raw:
    try:
        stdout, stderr, stopped, ended = _communicate(child, limits)
    finally:
        try:
            code = child.reap()  # kills whatever is left, in every case
        finally:
            child.close()
    if child.bwrap and code > 128:
        code = 128 - code  # bwrap reports death by signal N as exit status 128 + N
    return _Raw(code, bytes(stdout), bytes(stderr), stopped, ended - child.start)


def _classify(raw: _Raw, stdout: str, expected: str | None, compare: str) -> str:
    if raw.stopped == "output":
        return "output_limit"
    # RLIMIT_CPU sends SIGXCPU, then SIGKILL a second later to a program
    # that ignores it. We send SIGKILL only when we stop a run, so any other
    # SIGKILL is taken to be that limit. (A program killing itself, or the
    # OOM killer, which RLIMIT_AS makes unlikely, would be counted the same.)
    if raw.stopped == "timeout" or raw.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return "timeout"
    if raw.returncode != 0:
        return "memory_limit" if b"MemoryError" in raw.stderr else "runtime_error"
    if expected is None:
        return "ok"
    return "passed" if outputs_match(stdout, expected, compare) else "wrong_answer"


@dataclass(frozen=True)
class RunResult:
    verdict: str  # one of VERDICTS
    returncode: int | None  # None if never started; -N when killed by signal N
    stdout: str  # the first KEEP_CHARS characters
    stderr: str  # the last KEEP_CHARS characters
    wall_seconds: float
    isolation: str  # one of ISOLATIONS

    def to_json(self) -> dict:
        return asdict(self)


@functools.cache
def _interpreter_problem(python: str, isolation: str) -> str | None:
    """None when ``python`` runs a trivial program in this sandbox, else why
    not. Checked once per interpreter and isolation. This separates 'the
    sandbox can't start Python' from 'the program failed', which would
    otherwise read as a runtime_error for every program."""
    try:
        raw = _execute("print(6 * 7)", "", Limits(wall_seconds=20), python, isolation)
    except (OSError, subprocess.SubprocessError) as error:
        detail = f"{type(error).__name__}: {error}"
    else:
        if raw.returncode == 0 and raw.stdout == b"42\n":
            return None
        detail = f"exit status {raw.returncode}: {raw.stderr.decode(errors='replace')[-500:]}"
    hint = ""
    if os.geteuid() == 0 and isolation == "rlimits-only":
        hint = " (without bubblewrap the sandbox uid must be able to reach the interpreter; pass python='/usr/bin/python3' or similar)"
    return f"{python} does not run in the {isolation} sandbox{hint}: {detail}"


@functools.cache
def isolation_available() -> str:
    """``bwrap-minimal-fs`` when bubblewrap can run this interpreter in its
    sandbox here (probed once), else ``rlimits-only``, which isolates
    neither the network nor the file system; every result says which."""
    if shutil.which("bwrap", path="/usr/bin:/bin") and _interpreter_problem(sys.executable, "bwrap-minimal-fs") is None:
        return "bwrap-minimal-fs"
    return "rlimits-only"


def run_program(
    source: str,
    stdin: str = "",
    *,
    expected: str | None = None,
    limits: Limits = Limits(),
    compare: str = "exact",
    python: str = sys.executable,
    isolation: str | None = None,
) -> RunResult:
    """Run ``source`` on ``stdin`` in the sandbox and classify what happened
    (see VERDICTS). A program that doesn't compile is never started. Raises
    RuntimeError when the sandbox itself can't run ``python``."""
    if compare not in COMPARE_MODES:
        raise ValueError(f"compare must be one of {', '.join(COMPARE_MODES)}; got {compare!r}")
    isolation = isolation or isolation_available()
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}; got {isolation!r}")
    if not check_syntax(source):
        return RunResult("syntax_error", None, "", "", 0.0, isolation)
    problem = _interpreter_problem(python, isolation)
    if problem:
        raise RuntimeError(problem)
    raw = _execute(source, stdin, limits, python, isolation)
    stdout = raw.stdout.decode("utf-8", errors="replace")
    stderr = raw.stderr.decode("utf-8", errors="replace")
    verdict = _classify(raw, stdout, expected, compare)
    return RunResult(
        verdict, raw.returncode, stdout[:KEEP_CHARS], stderr[-KEEP_CHARS:], round(raw.wall_seconds, 4), isolation
    )


def run_many(
    jobs: Sequence[tuple[str, str, str | None]],
    *,
    limits: Limits = Limits(),
    compare: str = "exact",
    workers: int | None = None,
) -> list[RunResult]:
    """Run (source, stdin, expected) jobs in parallel, one per core by
    default. Results come back in job order."""
    if not jobs:
        return []
    isolation = isolation_available()  # probe once, before the threads start
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(
            pool.map(
                lambda job: run_program(
                    job[0], job[1], expected=job[2], limits=limits, compare=compare, isolation=isolation
                ),
                jobs,
            )
        )
