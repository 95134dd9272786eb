"""The sandbox for untrusted programs (chapter 3): output comparison,
verdicts, hostile programs contained and cleaned up, the command line.

Hostile programs embed a unique marker: they re-execute themselves with it
on their command line, so a scan of /proc after the run shows whether any
of their processes survived."""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from gobig.core import paths
from gobig.methods.code import sandbox
from gobig.methods.code.sandbox import KEEP_CHARS, Limits, outputs_match, run_many, run_program

pytestmark = pytest.mark.unit

FAST = Limits(cpu_seconds=1, wall_seconds=2, memory_mb=256)
HAS_BWRAP = sandbox.isolation_available() == "bwrap"
needs_bwrap = pytest.mark.skipif(
    not HAS_BWRAP, reason="no usable bubblewrap: rlimits-only does not isolate the network or the file system"
)
ISOLATIONS = [pytest.param("bwrap", marks=needs_bwrap), "rlimits-only"]


@functools.cache
def python_for(isolation: str) -> str:
    """An interpreter the sandbox can run. Without bubblewrap, the sandbox uid
    can't reach one under /root (pyenv), so fall back to the system's."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        try:
            run_program("pass", python=candidate, isolation=isolation)
        except RuntimeError:
            continue
        return candidate
    pytest.skip(f"no interpreter runs in the {isolation} sandbox here")


def run(source: str, stdin: str = "", isolation: str | None = None, **kwargs) -> sandbox.RunResult:
    isolation = isolation or sandbox.isolation_available()
    return run_program(source, stdin, isolation=isolation, python=python_for(isolation), **kwargs)


def marked(body: str) -> tuple[str, str]:
    marker = f"gobig-test-{uuid.uuid4().hex}"
    prelude = (
        "import os, sys\n"
        f"if {marker!r} not in sys.orig_argv:\n"
        f"    os.execv(sys.executable, [*sys.orig_argv, {marker!r}])\n"
    )
    return prelude + body, marker


def survivors(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.fixture
def exposed_dir():
    """A world-writable directory the sandbox can see (it is not under a
    private /tmp). Only the read-only mount stands between it and a program."""
    folder = Path(tempfile.mkdtemp(prefix="gobig-sandbox-test-", dir="/var/tmp"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


# ------------------------------------------------------------ comparison


def test_exact_mode_ignores_trailing_whitespace_and_blank_lines_at_the_ends():
    assert outputs_match("1 2  \n3\t\n", "1 2\n3")
    assert outputs_match("\n\n1\n2\n\n\n", "1\n2\n")
    assert outputs_match("a\r\nb\r\n", "a\nb\n")
    assert outputs_match("", "\n\n")


def test_exact_mode_rejects_different_output():
    assert not outputs_match("1 2\n3\n", "1 2\n4\n")
    assert not outputs_match("1\n2\n", "1\n")
    assert not outputs_match(" 1\n", "1\n")  # leading whitespace counts
    assert not outputs_match("1\n\n2\n", "1\n2\n")  # so do blank lines inside
    assert not outputs_match("1 2\n", "1  2\n")


def test_tokens_mode_is_a_codeforces_checker():
    assert outputs_match("1 2\n3", "1\n2 3\n", "tokens")
    assert outputs_match("0.3333333", "0.33333333333", "tokens")
    assert outputs_match("1000000.5", "1000000.1", "tokens")  # relative 1e-6
    assert outputs_match("0.0000001", "0", "tokens")  # absolute 1e-6
    assert outputs_match("yes No YES", "YES NO yes", "tokens")
    assert not outputs_match("0.334", "0.333", "tokens")
    assert not outputs_match("1000000007", "1000000006", "tokens")  # integers exactly
    assert not outputs_match("1 2", "1 2 3", "tokens")
    assert not outputs_match("YES", "NO", "tokens")
    assert not outputs_match("abc", "ABC", "tokens")


def test_unknown_compare_mode_and_bad_limits_raise():
    with pytest.raises(ValueError, match="compare"):
        outputs_match("1", "1", "fuzzy")
    with pytest.raises(ValueError, match="compare"):
        run_program("print(1)", compare="fuzzy")
    with pytest.raises(ValueError, match="memory_mb"):
        Limits(memory_mb=0)
    with pytest.raises(ValueError, match="wall_seconds"):
        Limits(wall_seconds=float("inf"))


# --------------------------------------------------------------- verdicts


def test_correct_program_passes():
    result = run("print(sum(map(int, input().split())))", "2 3\n", expected="5\n")
    assert (result.verdict, result.returncode, result.stdout) == ("passed", 0, "5\n")
    assert result.isolation == sandbox.isolation_available()
    assert json.loads(json.dumps(result.to_json()))["verdict"] == "passed"


def test_solutions_may_end_with_exit():
    for ending in ("exit()", "quit()", "import sys\nsys.exit(0)"):
        assert run(f"print(7)\n{ending}\nprint(8)", expected="7\n").verdict == "passed"


def test_wrong_answer_runtime_error_and_ok():
    assert run("print(6)", "", expected="5\n").verdict == "wrong_answer"
    crashed = run("print(1)\nraise ValueError('boom')", "", expected="1\n")
    assert crashed.verdict == "runtime_error" and crashed.returncode == 1
    assert "ValueError: boom" in crashed.stderr
    assert run("print('anything')").verdict == "ok"  # no expected output


def test_check_syntax_compiles_without_running():
    assert sandbox.check_syntax("print(input())\n")
    assert not sandbox.check_syntax("print(\n")
    assert not sandbox.check_syntax("return 1\n")  # an error only the compiler, not the parser, finds
    assert not sandbox.check_syntax("x = 1\x00\n")


def test_syntax_error_never_starts_a_process(monkeypatch, tmp_path):
    def no_process(*args, **kwargs):
        raise AssertionError("a process was started")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    flag = tmp_path / "ran"
    result = run_program(f"open({str(flag)!r}, 'w').write('ran')\ndef broken(:\n", expected="")
    assert (result.verdict, result.returncode, result.wall_seconds) == ("syntax_error", None, 0.0)
    assert not flag.exists()


def test_hash_seed_is_fixed_so_set_order_is_reproducible():
    first, second = (run("print(hash('gobig'), list({'a', 'b', 'c', 'd'}))") for _ in range(2))
    assert first.verdict == "ok" and first.stdout == second.stdout


def test_file_size_limit():
    result = run("open('big', 'wb').write(b'x' * 300_000)", limits=Limits(file_bytes=100_000))
    assert result.verdict == "runtime_error" and "File too large" in result.stderr


# -------------------------------------------------------- hostile programs


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.reliability
def test_infinite_loop_times_out(isolation):
    source, marker = marked("while True:\n    pass\n")
    result = run(source, isolation=isolation, limits=FAST)
    assert result.verdict == "timeout" and result.isolation == isolation
    assert result.wall_seconds < FAST.wall_seconds + 1
    assert survivors(marker) == []


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.reliability
def test_sleeper_is_killed_at_the_wall_limit(isolation):
    source, marker = marked("import time\ntime.sleep(60)\n")
    result = run(source, isolation=isolation, limits=Limits(wall_seconds=1))
    assert result.verdict == "timeout" and 1 <= result.wall_seconds < 3
    assert survivors(marker) == []


@pytest.mark.reliability
def test_program_ignoring_sigxcpu_is_stopped_by_the_hard_cpu_limit():
    source = "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n"
    result = run(source, limits=Limits(cpu_seconds=1, wall_seconds=30))
    assert result.verdict == "timeout" and result.wall_seconds < 25  # SIGKILL at 2 CPU seconds, not the wall


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.reliability
def test_fork_bomb_is_contained(isolation):
    source, marker = marked("while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n")
    result = run(source, isolation=isolation, limits=Limits(cpu_seconds=1, wall_seconds=1.5, max_processes=16))
    assert result.verdict in ("timeout", "runtime_error")
    assert survivors(marker) == []
    started = time.monotonic()
    assert run("print(1)", isolation=isolation).verdict == "ok"
    assert time.monotonic() - started < 5  # the machine is still responsive


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.reliability
def test_process_limit_holds_even_for_a_root_caller(isolation):
    """Linux exempts uid 0 from RLIMIT_NPROC: this fails if the program runs as root."""
    source, marker = marked(
        "import time\ncount = 0\ntry:\n    for _ in range(100):\n        if os.fork() == 0:\n            time.sleep(10)\n            os._exit(0)\n"
        "        count += 1\nexcept OSError:\n    pass\nprint(count)\n"
    )
    result = run(source, isolation=isolation, limits=Limits(max_processes=8))
    assert result.verdict == "ok" and 0 < int(result.stdout) < 8
    assert survivors(marker) == []


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.reliability
def test_memory_bomb_hits_the_memory_limit(isolation):
    source, marker = marked("chunks = []\nwhile True:\n    chunks.append(bytearray(10**7))\n")
    result = run(source, isolation=isolation, limits=FAST)
    assert result.verdict == "memory_limit" and "MemoryError" in result.stderr
    assert survivors(marker) == []


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.reliability
def test_endless_output_is_cut_off(isolation):
    source, marker = marked("while True:\n    print('x' * 1000)\n")
    result = run(source, isolation=isolation, limits=Limits(output_bytes=100_000))
    assert result.verdict == "output_limit" and result.wall_seconds < 4  # long before the wall limit
    assert len(result.stdout) == KEEP_CHARS
    assert survivors(marker) == []


@needs_bwrap
@pytest.mark.reliability
def test_writes_outside_its_directory_fail(tmp_path, exposed_dir):
    targets = [
        tmp_path / "written",
        exposed_dir / "written",
        paths.ROOT / f"written-{uuid.uuid4().hex}",
        Path("/root") / f"written-{uuid.uuid4().hex}",
    ]
    source = (
        f"for path in {[str(t) for t in targets]!r}:\n"
        "    try:\n        open(path, 'w').write('x')\n        print('wrote', path)\n"
        "    except OSError as error:\n        print('failed', type(error).__name__)\n"
        "open('own', 'w').write('mine')\nprint('own', open('own').read())\n"
    )
    try:
        result = run(source)
        assert "wrote" not in result.stdout and result.stdout.count("failed") == len(targets)
        assert "own mine" in result.stdout  # writing inside its directory works
        assert not any(target.exists() for target in targets)
    finally:
        for target in targets:
            target.unlink(missing_ok=True)


@needs_bwrap
@pytest.mark.reliability
def test_deletes_outside_its_directory_fail(tmp_path, exposed_dir):
    victims = [tmp_path / "victim", exposed_dir / "victim"]
    for victim in victims:
        victim.write_text("keep me")
        victim.chmod(0o666)
    source = (
        f"import os\nfor path in {[str(v) for v in victims]!r}:\n"
        "    try:\n        os.remove(path)\n        print('deleted', path)\n"
        "    except OSError as error:\n        print('failed', type(error).__name__)\n"
    )
    result = run(source)
    assert "deleted" not in result.stdout and result.stdout.count("failed") == 2
    assert all(victim.read_text() == "keep me" for victim in victims)


@needs_bwrap
@pytest.mark.reliability
def test_no_network():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        source = (
            "import socket\n"
            f"for address in [('127.0.0.1', {port}), ('1.1.1.1', 80), ('8.8.8.8', 53)]:\n"
            "    try:\n        socket.create_connection(address, timeout=2)\n        print('connected', address)\n"
            "    except OSError as error:\n        print('failed', error)\n"
        )
        result = run(source)
        listener.settimeout(0.2)
        with pytest.raises(TimeoutError):
            listener.accept()
    assert "connected" not in result.stdout and result.stdout.count("failed") == 3


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.reliability
def test_environment_is_scrubbed(isolation, monkeypatch):
    monkeypatch.setenv("GOBIG_SECRET", "hunter2")
    source = (
        "import json, os\nleaks = [k for k in os.environ if k == 'GOBIG_SECRET']\n"
        "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "    try:\n        environ = open(f'/proc/{pid}/environ', 'rb').read()\n    except OSError:\n        continue\n"
        "    if b'GOBIG_SECRET' in environ:\n        leaks.append(pid)\n"
        "print(json.dumps({'names': sorted(os.environ), 'leaks': leaks, 'home': os.environ['HOME'], 'cwd': os.getcwd()}))\n"
    )
    seen = json.loads(run(source, isolation=isolation).stdout)
    assert seen["leaks"] == []
    assert set(seen["names"]) - {"PWD"} == {"HOME", "LANG", "PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED"}
    assert seen["home"] == seen["cwd"]


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.reliability
def test_escaped_grandchild_is_killed(isolation):
    source, marker = marked(
        "import time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(30)\n    os._exit(0)\n"
        "os.wait()\nprint('parent done')\n"
    )
    result = run(source, isolation=isolation)
    assert (result.verdict, result.stdout) == ("ok", "parent done\n")
    assert result.wall_seconds < 10  # the grandchild (30 s, holding stdout open) doesn't hold the run
    assert survivors(marker) == []


@pytest.mark.parametrize("isolation", ISOLATIONS)
@pytest.mark.reliability
def test_stdin_closed_early_or_read_past_its_end(isolation):
    past_end = run("input()\ninput()", "1\n", isolation=isolation)
    assert past_end.verdict == "runtime_error" and "EOFError" in past_end.stderr
    closed = run("import sys\nsys.stdin.close()\ninput()", "1\n", isolation=isolation)
    assert closed.verdict == "runtime_error" and "ValueError" in closed.stderr
    unread = run("print('done')", "x" * (8 << 20), isolation=isolation)  # 8 MB it never reads
    assert unread.verdict == "ok"


def test_rlimits_only_says_when_it_cannot_reach_the_interpreter():
    private = next((p for p in Path(os.path.realpath(sys.executable)).parents if not p.stat().st_mode & 0o001), None)
    if os.geteuid() != 0 or private is None:
        pytest.skip("only as root with an interpreter in a private directory")
    with pytest.raises(RuntimeError, match="does not run in the rlimits-only sandbox"):
        run_program("print(1)", isolation="rlimits-only")


# ---------------------------------------------------- parallel and the CLI


def test_run_many_keeps_job_order_and_runs_in_parallel():
    jobs = [(f"import time\ntime.sleep(1)\nprint({i})", "", f"{i}\n") for i in range(4)]
    jobs[2] = (jobs[2][0], "", "wrong\n")
    started = time.monotonic()
    results = run_many(jobs, workers=4)
    elapsed = time.monotonic() - started
    assert [r.verdict for r in results] == ["passed", "passed", "wrong_answer", "passed"]
    assert [r.stdout for r in results] == ["0\n", "1\n", "2\n", "3\n"]
    assert elapsed < 3  # serially it would take over 4 s
    assert run_many([]) == []


def cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gobig.methods.code.sandbox", *arguments], capture_output=True, text=True, timeout=60
    )


def test_command_line_prints_one_json_record(tmp_path):
    (tmp_path / "program.py").write_text("print(int(input()) * 2)\n")
    (tmp_path / "input.txt").write_text("21\n")
    (tmp_path / "expected.txt").write_text("42\n")
    common = [
        str(tmp_path / "program.py"),
        "--input",
        str(tmp_path / "input.txt"),
        "--timeout",
        "1",
        "--memory-mb",
        "256",
    ]
    passed = cli("run", *common, "--expected", str(tmp_path / "expected.txt"))
    assert passed.returncode == 0, passed.stderr
    record = json.loads(passed.stdout)
    assert record["verdict"] == "passed" and record["stdout"] == "42\n"
    assert set(record) == {"verdict", "returncode", "stdout", "stderr", "wall_seconds", "isolation"}
    assert json.loads(cli("run", *common, "--compare", "tokens").stdout)["verdict"] == "ok"


@pytest.mark.parametrize("value", ["-5", "abc", "0"])
def test_command_line_rejects_a_bad_memory_limit(tmp_path, value):
    (tmp_path / "program.py").write_text("print(1)\n")
    (tmp_path / "input.txt").write_text("")
    result = cli(
        "run",
        str(tmp_path / "program.py"),
        "--input",
        str(tmp_path / "input.txt"),
        "--timeout",
        "1",
        "--memory-mb",
        value,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "--memory-mb" in result.stderr and "positive" in result.stderr
