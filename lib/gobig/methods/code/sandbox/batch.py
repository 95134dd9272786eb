"""One program on many tests for the cost of one sandbox launch
(``run_batch``): a driver in the sandbox forks a child per test."""

from __future__ import annotations

import json
from collections.abc import Sequence

from gobig.methods.code.sandbox.compare import (
    COMPARE_MODES,
    INTEGER_PATTERN,
    NUMBER_PATTERN,
    check_syntax,
    outputs_match,
    tokens_equal,
)
from gobig.methods.code.sandbox.isolation import Limits
from gobig.methods.code.sandbox.supervise import run_program

#: The program ``run_batch`` runs in the sandbox: it reads one solution and
#: its tests as JSON on stdin, and for each test forks a child that sets the
#: per-test limits on itself, binds fds 0 and 1 to the test's input and an
#: output buffer (memfds), and runs the solution as the bootstrap would.
#: The parent enforces the wall limit, compares, and prints the verdicts.
_BATCH_DRIVER = r"""
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
"""


def _batch_driver() -> str:
    import inspect

    helpers = "\n".join(
        [
            f"INTEGER_PATTERN = re.compile({INTEGER_PATTERN.pattern!r})",
            f"NUMBER_PATTERN = re.compile({NUMBER_PATTERN.pattern!r})",
            "COMPARE_MODES = ('exact', 'tokens')",
            inspect.getsource(tokens_equal),
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
    payload = json.dumps(
        {
            "source": source,
            "tests": [list(t) for t in tests],
            "compare": compare,
            "stop_at_failure": stop_at_failure,
            "cpu": limits.cpu_seconds,
            "wall": limits.wall_seconds,
            "memory_mb": limits.memory_mb,
            "output_bytes": limits.output_bytes,
        }
    )
    size = len(payload.encode()) + max((len(t[0].encode()) for t in tests), default=0)
    outer = Limits(
        cpu_seconds=60 + 2 * len(tests),
        wall_seconds=len(tests) * (limits.wall_seconds + 1) + 30,
        memory_mb=limits.memory_mb + 256,
        max_processes=limits.max_processes + 2,
        output_bytes=64 * len(tests) + 4096,
        file_bytes=max(limits.file_bytes, size + limits.output_bytes),
    )
    result = run_program(_batch_driver(), payload, limits=outer)
    if result.verdict != "ok":
        raise RuntimeError(f"the batch driver failed ({result.verdict}): {result.stderr[-500:]}")
    return json.loads(result.stdout)
