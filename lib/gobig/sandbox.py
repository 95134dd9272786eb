"""Run untrusted Python programs: every sampled program and every solution
judged in chapter 3 goes through here.

Each program runs
- as its own unprivileged user (one uid per parallel slot, so a fork bomb
  exhausts only its own process limit; Linux exempts root from
  RLIMIT_NPROC, so dropping root is what makes that limit bite),
- in its own session, under rlimits on CPU time, address space, processes,
  file size and open files, with a wall-clock kill,
- in a fresh empty directory, with a scrubbed environment,
- and, where bubblewrap (``bwrap``) works, in new namespaces: no network,
  its own PID namespace (killing it kills every descendant, including
  ones that called setsid), a read-only root and a private /tmp.

Without bubblewrap the limits still hold but the network and the file
system are not isolated; ``RunResult.isolation`` says which applied.

Command line, for one program::

    python -m gobig.sandbox run PROGRAM.py --input FILE [--expected FILE] --timeout S --memory-mb M
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

#: ``ok`` is a clean exit when no expected output was given.
VERDICTS = ("passed", "wrong_answer", "ok", "runtime_error", "timeout", "memory_limit", "output_limit", "syntax_error")
COMPARE_MODES = ("exact", "tokens")
#: Untrusted programs run as these uids (one per parallel slot) when we are root.
SANDBOX_UID_BASE = 61000
#: Isolated mode (no user site, no PYTHON* variables), no .pyc files. Not -S:
#: solutions call exit(), which the site module defines.
PYTHON_FLAGS = ("-I", "-B")
#: The program's directory inside bubblewrap (under its private /tmp).
SANDBOX_DIR = "/tmp/sandbox"
#: How much of stdout/stderr a result keeps (the comparison sees all stdout up to the limit).
KEEP_CHARS = 4096


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float = 2.0
    wall_seconds: float = 5.0
    memory_mb: int = 512
    max_processes: int = 16
    output_bytes: int = 1 << 20
    file_bytes: int = 1 << 20


@dataclass(frozen=True)
class RunResult:
    verdict: str
    returncode: int | None
    stdout: str
    stderr: str
    wall_seconds: float
    isolation: str

    def to_json(self) -> dict:
        return asdict(self)


def default_python() -> str:
    """A world-readable interpreter: the sandbox user cannot enter /root,
    where pyenv and virtual environments often live."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


def check_syntax(source: str) -> bool:
    """Does the program compile? (Never runs it.)"""
    try:
        compile(source, "<program>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _tokens_equal(a: str, b: str) -> bool:
    if a == b or (a.upper() in ("YES", "NO") and a.upper() == b.upper()):
        return True
    if _NUMBER.match(a) and _NUMBER.match(b):
        x, y = float(a), float(b)
        return math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-6)
    return False


def outputs_match(actual: str, expected: str, mode: str = "exact") -> bool:
    """``exact``: the same lines, ignoring trailing whitespace on each line
    and blank lines at either end. ``tokens``: the same whitespace-separated
    tokens, numbers equal to 1e-6 (relative or absolute), YES/NO in any case
    (Codeforces' usual checker)."""
    if mode == "tokens":
        a, b = actual.split(), expected.split()
        return len(a) == len(b) and all(_tokens_equal(x, y) for x, y in zip(a, b))
    if mode != "exact":
        raise ValueError(f"compare must be one of {', '.join(COMPARE_MODES)}; got {mode!r}")

    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip("\n").split("\n")] if text.strip() else []

    return lines(actual) == lines(expected)


def _bwrap_command(workdir: str, python: str, env: dict) -> list[str]:
    command = [
        "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
        "--bind", workdir, SANDBOX_DIR, "--chdir", SANDBOX_DIR,
        "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
    ]
    for key, value in env.items():
        command += ["--setenv", key, value]
    return command + ["--", python, *PYTHON_FLAGS, "program.py"]


@lru_cache(maxsize=None)
def isolation_available() -> str:
    """``bwrap`` when bubblewrap can start a program here, else ``rlimits-only``."""
    if shutil.which("bwrap") is None:
        return "rlimits-only"
    result = run_program("print(6 * 7)", limits=Limits(wall_seconds=10), isolation="bwrap")
    return "bwrap" if result.verdict == "ok" and result.stdout.strip() == "42" else "rlimits-only"


# bubblewrap's namespace init can outlive the bwrap process we started; as
# an orphan it would go to PID 1, which in containers often never reaps, and
# its zombie would count against the sandbox uid's process limit. As a
# child subreaper this process inherits such orphans and reaps them.
_PR_SET_CHILD_SUBREAPER = 36
_started: set[int] = set()  # pids of our own Popen children: never reaped here


def _become_subreaper() -> None:
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _reap_orphans() -> None:
    """Reap zombies that were re-parented to this process (not our Popens)."""
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in _started:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] == "Z" and fields[1] == me:
            try:
                os.waitpid(int(entry.name), os.WNOHANG)
            except ChildProcessError:
                pass


_slots = threading.local()
_slot_lock = threading.Lock()
_slot_count = 0


def _slot() -> int:
    """A small integer per thread, so parallel programs get distinct uids."""
    global _slot_count
    if not hasattr(_slots, "index"):
        with _slot_lock:
            _slots.index = _slot_count
            _slot_count += 1
    return _slots.index


def _preexec(limits: Limits, uid: int | None):
    def apply() -> None:
        cpu = max(1, math.ceil(limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        memory = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        # After dropping root, so the limit counts the sandbox user's processes.
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))

    return apply


def _drain(stream, keep: int, sink: bytearray, overflow: threading.Event, on_overflow) -> None:
    """Read a pipe to its end, keeping at most ``keep`` bytes."""
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return
        room = keep - len(sink)
        sink.extend(chunk[: max(room, 0)])
        if len(chunk) > room and not overflow.is_set():
            overflow.set()
            if on_overflow:
                on_overflow()


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_uid(uid: int | None) -> None:
    """Without namespaces, a child that left our session survives killpg:
    kill whatever still runs as this slot's uid."""
    if uid is None:
        return
    # A fork bomb refills freed slots: stop everything first, then kill,
    # and sweep until nothing is left.
    for _ in range(100):
        pids = []
        for entry in Path("/proc").iterdir():
            try:
                # Zombies (state Z) are already dead; only their parent can reap them.
                if entry.name.isdigit() and entry.stat().st_uid == uid and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
        if not pids:
            return
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
        time.sleep(0.01)


def run_program(
    source: str,
    stdin: str = "",
    *,
    expected: str | None = None,
    limits: Limits = Limits(),
    compare: str = "exact",
    python: str | None = None,
    isolation: str | None = None,
) -> RunResult:
    """Run one program on one input and classify the outcome."""
    if compare not in COMPARE_MODES:
        raise ValueError(f"compare must be one of {', '.join(COMPARE_MODES)}; got {compare!r}")
    isolation = isolation or isolation_available()
    if not check_syntax(source):
        return RunResult("syntax_error", None, "", "", 0.0, isolation)
    python = python or default_python()
    _become_subreaper()
    uid = SANDBOX_UID_BASE + _slot() if os.geteuid() == 0 else None
    workdir = tempfile.mkdtemp(prefix="gobig-sandbox-")
    try:
        Path(workdir, "program.py").write_text(source)
        if uid is not None:
            os.chown(workdir, uid, uid)
            os.chown(Path(workdir, "program.py"), uid, uid)
        home = SANDBOX_DIR if isolation == "bwrap" else workdir
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "HOME": home}
        if isolation == "bwrap":
            command = _bwrap_command(workdir, python, env)
        else:
            command = [python, *PYTHON_FLAGS, "program.py"]
        start = time.monotonic()
        # stdin is a file, as on Codeforces: a pipe would hand os.read(0, n)
        # partial input, and a program may close it early without harm.
        input_file = tempfile.TemporaryFile()
        input_file.write(stdin.encode())
        input_file.seek(0)
        with input_file:
            process = subprocess.Popen(
                command, stdin=input_file, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir,
                env=env, preexec_fn=_preexec(limits, uid), start_new_session=True, close_fds=True,
            )
        _started.add(process.pid)
        stdout, stderr = bytearray(), bytearray()
        too_much, ignored = threading.Event(), threading.Event()
        readers = [
            threading.Thread(target=_drain, args=(process.stdout, limits.output_bytes, stdout, too_much, lambda: _kill_group(process)), daemon=True),
            threading.Thread(target=_drain, args=(process.stderr, 65536, stderr, ignored, None), daemon=True),
        ]
        for reader in readers:
            reader.start()
        timed_out = False
        try:
            process.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process)
            process.wait()
        wall = time.monotonic() - start
        _kill_group(process)
        _kill_uid(uid)  # descendants that left the session, or a namespace still being torn down
        for reader in readers:
            reader.join(timeout=5)
        _started.discard(process.pid)
        _reap_orphans()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out = stdout.decode("utf-8", errors="replace")
    err = stderr.decode("utf-8", errors="replace")
    code = process.returncode
    if too_much.is_set():
        verdict = "output_limit"
    # bwrap reports a child killed by signal s as exit code 128 + s.
    elif timed_out or code in (-signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGXCPU, 128 + signal.SIGKILL):
        verdict = "timeout"
    elif "MemoryError" in err:
        verdict = "memory_limit"
    elif code != 0:
        verdict = "runtime_error"
    elif expected is None:
        verdict = "ok"
    else:
        verdict = "passed" if outputs_match(out, expected, compare) else "wrong_answer"
    return RunResult(verdict, code, out[:KEEP_CHARS], err[-KEEP_CHARS:], round(wall, 4), isolation)


def run_many(
    jobs: Sequence[tuple[str, str, str | None]],
    *,
    limits: Limits = Limits(),
    compare: str = "exact",
    workers: int | None = None,
) -> list[RunResult]:
    """(source, stdin, expected) jobs in parallel over the cores; results in job order."""
    if not jobs:
        return []
    isolation = isolation_available()  # probe once, before the threads start
    workers = workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        return list(pool.map(lambda job: run_program(job[0], job[1], expected=job[2], limits=limits, compare=compare, isolation=isolation), jobs))


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gobig.sandbox", description="Run one untrusted Python program; print a JSON verdict.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run PROGRAM.py on an input")
    run.add_argument("program", type=Path)
    run.add_argument("--input", type=Path, required=True, help="file fed to the program's stdin")
    run.add_argument("--expected", type=Path, default=None, help="expected output (verdict passed / wrong_answer)")
    run.add_argument("--timeout", type=_positive(float), default=2.0, help="CPU seconds (the wall limit is twice this plus one)")
    run.add_argument("--memory-mb", type=_positive(int), default=512)
    run.add_argument("--compare", choices=COMPARE_MODES, default="exact")
    args = parser.parse_args(argv)
    limits = Limits(cpu_seconds=args.timeout, wall_seconds=2 * args.timeout + 1, memory_mb=args.memory_mb)
    expected = args.expected.read_text() if args.expected else None
    result = run_program(args.program.read_text(), args.input.read_text(), expected=expected, limits=limits, compare=args.compare)
    print(json.dumps(result.to_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
