"""Run untrusted Python programs. Every program chapter 3 executes (model
samples, Codeforces solutions) goes through ``run_program``.

How a program is contained:

- It runs in a fresh directory holding only its ``main.py``, gone
  afterwards. Its stdin is a file outside that directory, so a program that
  never reads can't block us. Its stdout and stderr are pipes read with a
  cap, so unbounded output never sits in memory.
- The environment is scrubbed to PATH, LANG, PYTHONHASHSEED=0,
  PYTHONDONTWRITEBYTECODE=1 and HOME (the directory). bwrap adds PWD.
- rlimits hold from the program's first instruction (``prlimit`` sets them,
  then execs Python): CPU seconds, address space, processes, file size, no
  core dumps, 64 open files.
- When we are root, the program runs as an unprivileged uid leased to this
  run alone (``SANDBOX_UIDS``). Linux exempts uid 0 from RLIMIT_NPROC, so a
  fork bomb running as root would not be held by the limit. A uid per run
  means one run's fork bomb can't use up another run's process budget, and
  the no-bubblewrap sweep below can kill by uid.
- With bubblewrap (``isolation == "bwrap"``), the program also sees a
  read-only /, fresh /dev and /proc, and a private, size-capped tmpfs on
  /tmp and /dev/shm. Its directory is /tmp/sandbox in that tmpfs, so what
  it writes can't fill a disk. It gets new PID, network, IPC and UTS
  namespaces: no network at all, and when the namespace's init dies, every
  descendant dies, including ones that called setsid() or double-forked.
  As root, bwrap builds the namespaces as real root, so it can bind an
  interpreter that lives in a private directory, like pyenv's under /root.
  Then ``setpriv`` drops to the leased uid just before Python starts (it
  does so without bubblewrap too).
  (bwrap's own ``--unshare-user --uid`` would leave the program as uid 0
  outside the namespace, exempt from RLIMIT_NPROC. Measured: a fork loop
  made 200 processes under a limit of 10.)
  As a normal user, bwrap creates a user namespace, where RLIMIT_NPROC
  counts processes per namespace.
- Without bubblewrap (``isolation == "rlimits-only"``), the rlimits and the
  uid still apply, but the network and the file system are NOT isolated:
  the program can open connections and read or write whatever its uid may.
  Descendants are killed through the process group and then by sweeping
  /proc. As root the sweep matches the leased uid and is exact. As a normal
  user it matches processes whose working directory is the run's, which is
  best effort. As root, the leased uid must also be able to reach the
  interpreter: one under /root needs bubblewrap, or ``python=`` pointing
  elsewhere (such as /usr/bin/python3).

Needs Linux 5.3 or later (pidfd), and util-linux's prlimit and (as root)
setpriv. Command line, for one program (the wall limit is 2S+1 seconds)::

    python -m gobig.sandbox run PROGRAM.py --input FILE [--expected FILE] --timeout S --memory-mb M [--compare exact|tokens]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import json
import math
import numbers
import os
import re
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields
from pathlib import Path

#: ``ok`` means a clean exit when no expected output was given. ``passed``
#: and ``wrong_answer`` appear only when it was.
VERDICTS = ("passed", "wrong_answer", "ok", "runtime_error", "timeout", "memory_limit", "output_limit", "syntax_error")
COMPARE_MODES = ("exact", "tokens")
ISOLATIONS = ("bwrap", "rlimits-only")
#: The uids leased to runs when we are root. These are below 65536, so
#: containers that map only that range still have them. They sit in the
#: block Debian leaves for on-demand global allocation (60000-64999),
#: which systemd also uses for dynamic users. A uid is leased only while no
#: process runs as it, under a lock other processes respect. An unrelated
#: user that starts using it mid-run would share its process count (and,
#: in rlimits-only mode, be swept along with it).
SANDBOX_UIDS = range(64000, 64512)
#: Where the leases' lock files live: a fixed path, so every process agrees.
UID_LOCKS = Path("/tmp/gobig-sandbox-uids")
#: Where the program's directory appears inside bubblewrap. A fixed path,
#: so tracebacks read the same in every run.
SANDBOX_DIR = "/tmp/sandbox"
#: How much stdout (head) and stderr (tail) a result keeps. The comparison
#: sees all of stdout, up to ``Limits.output_bytes``.
KEEP_CHARS = 4096

_STDERR_BYTES = 1 << 16
_OPEN_FILES = 64
_TMP_BYTES = 16 << 20
_READ_BYTES = 1 << 16
# No site module, no user site, no .pyc files: the standard library only,
# whatever is installed beside the interpreter (a site-packages .pth file can
# add tens of milliseconds to every start). Not -I: its -E would make Python
# ignore PYTHONHASHSEED, and the environment is scrubbed anyway. Solutions
# call exit() and quit(), which only site defines, so a bootstrap provides
# them and runs main.py as __main__ (runpy would add 15 ms of imports).
_BOOTSTRAP = (
    "import builtins, sys; builtins.exit = builtins.quit = sys.exit; "
    "sys.argv[0] = __file__ = 'main.py'; del builtins, sys; "
    "exec(compile(open(__file__, 'rb').read(), __file__, 'exec'))"
)
_PYTHON = ("-s", "-S", "-B", "-c", _BOOTSTRAP)


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float = 2.0  # RLIMIT_CPU: SIGXCPU at this many seconds (rounded up), SIGKILL one second later
    wall_seconds: float = 5.0  # the program and all its descendants are killed at this wall time
    memory_mb: int = 512  # RLIMIT_AS
    max_processes: int = 16  # RLIMIT_NPROC: processes and threads the program may have at once
    output_bytes: int = 1 << 20  # stdout beyond this: output_limit, and the program is killed
    file_bytes: int = 1 << 20  # RLIMIT_FSIZE on files the program writes

    def __post_init__(self) -> None:
        # Checked, then stored as plain int/float, so numpy scalars from a
        # data frame work too and equal limits hash alike.
        for field in fields(self):
            value = getattr(self, field.name)
            kind, number = (float, numbers.Real) if field.type == "float" else (int, numbers.Integral)
            if not isinstance(value, number) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"Limits.{field.name} must be a positive {field.type}; got {value!r}")
            object.__setattr__(self, field.name, kind(value))


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


# Compiling model samples warns about their style ('"is" with a literal',
# invalid escapes). Those warnings are not ours to print, and a filter set
# once is thread-safe where catch_warnings around compile() would not be.
_PROGRAM_NAME = "<sandboxed program>"
for _category in (SyntaxWarning, DeprecationWarning):
    warnings.filterwarnings("ignore", category=_category, module=re.escape(_PROGRAM_NAME))


def check_syntax(source: str) -> bool:
    """Does the program compile under this interpreter's grammar? Only
    compiles, never runs."""
    try:
        # Sampled programs trip SyntaxWarnings by the hundred; they are not news.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, _PROGRAM_NAME, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _tokens_equal(actual: str, expected: str) -> bool:
    if actual == expected:
        return True
    if expected.upper() in ("YES", "NO"):
        return actual.upper() == expected.upper()
    if _INTEGER.fullmatch(actual) and _INTEGER.fullmatch(expected):
        # Exactly: 1e-6 relative would let 999999000 pass for 999999999, and
        # answers modulo 10**9 + 7 are that large.
        return int(actual) == int(expected)
    if _NUMBER.fullmatch(actual) and _NUMBER.fullmatch(expected):
        return math.isclose(float(actual), float(expected), rel_tol=1e-6, abs_tol=1e-6)
    return False


def outputs_match(actual: str, expected: str, mode: str = "exact") -> bool:
    """``exact``: the same lines, ignoring trailing whitespace on each line
    and blank lines at either end. ``tokens``: the same whitespace-separated
    tokens, with YES/NO in any case, integers equal exactly and other
    numbers to 1e-6 (relative or absolute), like Codeforces' usual
    checkers."""
    if mode == "tokens":
        got, want = actual.split(), expected.split()
        return len(got) == len(want) and all(_tokens_equal(a, e) for a, e in zip(got, want, strict=True))
    if mode != "exact":
        raise ValueError(f"compare must be one of {', '.join(COMPARE_MODES)}; got {mode!r}")

    def normal(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")

    return normal(actual) == normal(expected)


# ---------------------------------------------------------------- the run


@dataclass
class _Raw:
    """What happened, before classification."""

    returncode: int
    stdout: bytes
    stderr: bytes
    stopped: str | None  # "timeout" or "output" when we killed it
    wall_seconds: float


def _lock_folder() -> Path:
    with contextlib.suppress(FileExistsError):
        UID_LOCKS.mkdir(mode=0o700)
    info = UID_LOCKS.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise RuntimeError(f"{UID_LOCKS} must be a directory only this user can use; remove it")
    return UID_LOCKS


@contextlib.contextmanager
def _leased_uid() -> Iterator[int | None]:
    """A uid that nothing else uses while this run lasts (the lock keeps other
    runs, in this process or another, off it). None when we are not root: a
    normal user can't switch uid, and isn't exempt from RLIMIT_NPROC anyway."""
    if os.geteuid() != 0:
        yield None
        return
    folder = _lock_folder()
    # Skip uids that own any process: another user of the uid, or zombies of
    # an earlier run that the system's init has not reaped yet (they count
    # against RLIMIT_NPROC). /proc/PID belongs to the process's uid.
    busy = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                busy.add(entry.stat().st_uid)
    for uid in SANDBOX_UIDS:
        if uid in busy:
            continue
        lock = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            continue
        try:
            yield uid
        finally:
            os.close(lock)
        return
    raise RuntimeError(f"all {len(SANDBOX_UIDS)} sandbox uids are in use")


def _exposed_interpreter(prefix: Path) -> list[str]:
    """bwrap arguments that let the sandbox uid reach the interpreter's
    installation when a directory above it admits only its owner (pyenv
    under /root, mode 0700). A tmpfs hides that directory's other contents,
    and the installation is bound back in, read-only."""
    chain = [*reversed(prefix.parents), prefix]
    blocked = next((depth for depth, folder in enumerate(chain) if not folder.stat().st_mode & stat.S_IXOTH), None)
    if blocked is None:
        return []
    arguments = ["--tmpfs", str(chain[blocked])]
    for between in chain[blocked + 1 : -1]:
        arguments += ["--perms", "0755", "--dir", str(between)]
    return arguments + ["--ro-bind", str(prefix), str(prefix)]


def _environment(home: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "HOME": home}


def _bwrap_command(python: str, uid: int | None, limits: Limits, info_fd: int, source_fd: int) -> list[str]:
    command = ["bwrap", "--die-with-parent", "--new-session", "--clearenv", "--info-fd", str(info_fd)]
    if uid is None:
        command += ["--unshare-all"]  # including a user namespace, which an unprivileged bwrap needs
    else:
        # Everything but a user namespace: bwrap stays real root to build the
        # mounts, and setpriv (below) makes the program a real unprivileged uid.
        command += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    command += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    if uid is not None:
        command += _exposed_interpreter(Path(python).parent.parent)
    # The program's directory lives in the sandbox's own /tmp. That is a
    # size-capped tmpfs, like /dev/shm, so whatever the program writes is
    # bounded (RLIMIT_FSIZE caps only single files) and vanishes with the
    # sandbox. Its source is copied in.
    size = str(_TMP_BYTES + limits.file_bytes)
    command += ["--size", size, "--perms", "1777", "--tmpfs", "/tmp", "--size", size, "--perms", "1777", "--tmpfs", "/dev/shm"]
    command += ["--perms", "0777", "--dir", SANDBOX_DIR, "--perms", "0444", "--file", str(source_fd), f"{SANDBOX_DIR}/main.py"]
    command += ["--chdir", SANDBOX_DIR]
    for key, value in _environment(SANDBOX_DIR).items():
        command += ["--setenv", key, value]
    return command + ["--"]


def _program(python: str, uid: int | None, limits: Limits, processes: int) -> list[str]:
    """The command that starts Python: as the leased uid when there is one
    (setpriv), under the rlimits (prlimit sets them on itself, then execs),
    so they hold from the program's first instruction.

    Not preexec_fn: it makes subprocess fork() instead of vfork(), which from
    a parent holding 1 GiB (the judge's, with torch) took 62 ms per run
    against 2.5 ms, and it runs Python between fork and exec, which is unsafe
    next to run_many's threads. The uid switch is left to setpriv for the
    same reason."""
    command = []
    if uid is not None:
        command += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    cpu = math.ceil(limits.cpu_seconds)  # SIGXCPU at the limit, SIGKILL a second later
    memory = limits.memory_mb << 20
    command += [
        "prlimit", f"--cpu={cpu}:{cpu + 1}", f"--as={memory}:{memory}", f"--fsize={limits.file_bytes}:{limits.file_bytes}",
        "--core=0:0", f"--nofile={_OPEN_FILES}:{_OPEN_FILES}", f"--nproc={processes}:{processes}", "--",
    ]
    return command + [python, *_PYTHON]


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
    with _leased_uid() as uid, tempfile.TemporaryDirectory(prefix="gobig-sandbox-") as folder:
        run = Path(folder)
        (run / "stdin").write_text(stdin, encoding="utf-8")
        (run / "main.py").write_text(source, encoding="utf-8")
        if isolation == "bwrap":
            return _run_bwrap(run, python, uid, limits)
        return _run_rlimits_only(run, python, uid, limits)


def _run_bwrap(run: Path, python: str, uid: int | None, limits: Limits) -> _Raw:
    info_fd, info_write = os.pipe()
    try:
        with open(run / "main.py", "rb") as source:
            # RLIMIT_NPROC counts the leased uid's processes, which are only
            # this run's; a normal user's are counted per user namespace,
            # which also holds bwrap's init: one more.
            processes = limits.max_processes if uid is not None else limits.max_processes + 1
            command = _bwrap_command(python, uid, limits, info_write, source.fileno()) + _program(python, uid, limits, processes)
            # bwrap gets the scrubbed environment too: a normal user's program
            # can read the environment of bwrap's init, /proc/1/environ.
            environment = _environment(SANDBOX_DIR)
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
        processes = sum(threads for _, owner, threads in _processes(zombies=True) if owner == own) + limits.max_processes
        sweep = functools.partial(_sweep, lambda pid, owner: owner == own and pid != me and _cwd_under(pid, work))
    command = _program(python, uid, limits, processes)
    process, start = _launch(command, work, _environment(str(work)), run / "stdin", ())
    return _supervise(_Started(process, start, -1, sweep), limits)


def _launch(command: list[str], cwd: Path, env: dict[str, str], stdin: Path, pass_fds: tuple[int, ...]) -> tuple[subprocess.Popen, float]:
    start = time.monotonic()
    with open(stdin, "rb") as file:
        process = subprocess.Popen(
            command, stdin=file, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
            start_new_session=True, pass_fds=pass_fds,
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
    """``bwrap`` when bubblewrap can run this interpreter in its sandbox here
    (probed once), else ``rlimits-only``."""
    if shutil.which("bwrap", path="/usr/bin:/bin") and _interpreter_problem(sys.executable, "bwrap") is None:
        return "bwrap"
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
    return RunResult(verdict, raw.returncode, stdout[:KEEP_CHARS], stderr[-KEEP_CHARS:], round(raw.wall_seconds, 4), isolation)


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
        return list(pool.map(lambda job: run_program(job[0], job[1], expected=job[2], limits=limits, compare=compare, isolation=isolation), jobs))


# ----------------------------------------------------------- command line


def _positive(kind: type) -> Callable[[str], float | int]:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a positive {kind.__name__}, got {text!r}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gobig.sandbox", description="Run untrusted Python programs in the sandbox.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one program on one input and print its result as JSON")
    run.add_argument("program", type=Path, help="the Python source to run")
    run.add_argument("--input", type=Path, required=True, help="file fed to the program's stdin")
    run.add_argument("--expected", type=Path, help="expected output; the verdict is then passed or wrong_answer")
    run.add_argument("--timeout", type=_positive(float), required=True, metavar="S", help="CPU seconds; the wall limit is 2S+1")
    run.add_argument("--memory-mb", type=_positive(int), required=True, metavar="M", help="address-space limit in MiB")
    run.add_argument("--compare", choices=COMPARE_MODES, default="exact")
    args = parser.parse_args(argv)
    try:
        source = args.program.read_text(encoding="utf-8")
        stdin = args.input.read_text(encoding="utf-8")
        expected = args.expected.read_text(encoding="utf-8") if args.expected else None
    except (OSError, UnicodeDecodeError) as error:
        run.error(str(error))
    limits = Limits(cpu_seconds=args.timeout, wall_seconds=2 * args.timeout + 1, memory_mb=args.memory_mb)
    result = run_program(source, stdin, expected=expected, limits=limits, compare=args.compare)
    print(json.dumps(result.to_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main())


# ------------------------------------------------------ many inputs, one launch

#: The program ``run_batch`` runs in the sandbox: it reads one solution and
#: its tests as JSON on stdin, and for each test forks a child that sets the
#: per-test limits on itself, binds fds 0 and 1 to the test's input and an
#: output buffer (memfds), and runs the solution as the bootstrap would.
#: The parent enforces the wall limit, compares, and prints the verdicts.
_BATCH_DRIVER = r'''
import builtins, io, json, math, os, re, resource, select, signal, sys
# Modules most solutions import, loaded once before the forks so that each
# child does not pay for them again (a solution sees them already imported).
import bisect, collections, copy, decimal, fractions, functools, heapq, itertools, operator, string, threading
job = json.loads(sys.stdin.read())
source, compare = job["source"], job["compare"]
code = compile(source, "main.py", "exec")
COMPARE_SOURCE
def child(test_input):
    os.setpgid(0, 0)
    cpu = math.ceil(job["cpu"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = job["memory_mb"] << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (job["output_bytes"], job["output_bytes"]))
    data = os.memfd_create("stdin")
    os.write(data, test_input.encode())
    os.lseek(data, 0, os.SEEK_SET)
    os.dup2(data, 0)
    os.dup2(out, 1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    # open() sets .mode and .name as the interpreter's own streams have them
    # (fast-I/O templates read sys.stdout.mode).
    sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", closefd=False)
    builtins.exit = builtins.quit = sys.exit
    sys.argv = ["main.py"]
    status = 0
    try:
        exec(code, {"__name__": "__main__", "__file__": "main.py", "__builtins__": builtins})
        if "threading" in sys.modules:
            import threading
            for thread in threading.enumerate():
                if thread is not threading.main_thread() and not thread.daemon:
                    thread.join()
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except MemoryError:
        status = 3
    except BaseException:
        status = 1
    try:
        sys.stdout.flush()
    except BaseException:
        status = status or 1
    os._exit(status)
verdicts = []
for test_input, expected in job["tests"]:
    out = os.memfd_create("stdout")
    pid = os.fork()
    if pid == 0:
        try:
            child(test_input)
        finally:
            os._exit(1)
    handle = os.pidfd_open(pid)
    ready, _, _ = select.select([handle], [], [], job["wall"])
    stopped = not ready
    if stopped:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    os.close(handle)
    size = os.lseek(out, 0, os.SEEK_END)
    os.lseek(out, 0, os.SEEK_SET)
    output = os.read(out, size + 1) if size else b""
    os.close(out)
    if stopped or (os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)):
        verdict = "timeout"
    elif size >= job["output_bytes"] or (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXFSZ):
        verdict = "output_limit"
    elif os.WEXITSTATUS(status) == 3:
        verdict = "memory_limit"
    elif os.WEXITSTATUS(status) != 0:
        verdict = "runtime_error"
    else:
        verdict = "passed" if outputs_match(output.decode("utf-8", errors="replace"), expected, compare) else "wrong_answer"
    verdicts.append(verdict)
    if verdict != "passed" and job["stop_at_failure"]:
        break
print(json.dumps(verdicts))
'''


def _batch_driver() -> str:
    import inspect

    helpers = "\n".join(
        [
            f"_INTEGER = re.compile({_INTEGER.pattern!r})",
            f"_NUMBER = re.compile({_NUMBER.pattern!r})",
            "COMPARE_MODES = ('exact', 'tokens')",
            inspect.getsource(_tokens_equal),
            inspect.getsource(outputs_match),
        ]
    )
    return _BATCH_DRIVER.replace("COMPARE_SOURCE", helpers)


def run_batch(
    source: str,
    tests: Sequence[tuple[str, str]],
    *,
    limits: Limits = Limits(),
    compare: str = "exact",
    stop_at_failure: bool = False,
) -> list[str]:
    """Verdicts of one program on many tests for the cost of one sandbox
    launch: a driver runs in the sandbox (same isolation as
    ``run_program``) and forks one child per test, each with the per-test
    CPU, memory and output limits of ``limits`` and its own wall limit.
    The children share the sandbox's directory and uid, so they are not
    isolated from each other the way separate runs are; verdicts are those
    of ``run_program`` (a test pins the two together). With
    ``stop_at_failure`` the list ends at the first failing test. A program
    that does not compile gets ``syntax_error`` for every test."""
    if compare not in COMPARE_MODES:
        raise ValueError(f"compare must be one of {', '.join(COMPARE_MODES)}; got {compare!r}")
    if not tests:
        return []
    if not check_syntax(source):
        return ["syntax_error"] * (1 if stop_at_failure else len(tests))
    payload = json.dumps({
        "source": source, "tests": [list(t) for t in tests], "compare": compare, "stop_at_failure": stop_at_failure,
        "cpu": limits.cpu_seconds, "wall": limits.wall_seconds, "memory_mb": limits.memory_mb, "output_bytes": limits.output_bytes,
    })
    size = len(payload.encode()) + max((len(t[0].encode()) for t in tests), default=0)
    outer = Limits(
        cpu_seconds=60 + 2 * len(tests), wall_seconds=len(tests) * (limits.wall_seconds + 1) + 30,
        memory_mb=limits.memory_mb + 256, max_processes=limits.max_processes + 2,
        output_bytes=64 * len(tests) + 4096, file_bytes=max(limits.file_bytes, size + limits.output_bytes),
    )
    result = run_program(_batch_driver(), payload, limits=outer)
    if result.verdict != "ok":
        raise RuntimeError(f"the batch driver failed ({result.verdict}): {result.stderr[-500:]}")
    return json.loads(result.stdout)
