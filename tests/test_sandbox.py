"""The sandbox for untrusted programs (chapter 3): output comparison,
verdicts, hostile programs contained and cleaned up, the command line.

Hostile programs embed a unique marker: they re-execute themselves with it
on their command line, so a scan of /proc after the run shows whether any
of their processes survived."""

from __future__ import annotations

import base64
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
import zlib
from pathlib import Path

import pytest

from answer_thief import answer_thief
from gobig.core import paths
from gobig.data import codecontests
from gobig.methods.code import sandbox
from gobig.methods.code.sandbox import KEEP_CHARS, Limits, outputs_match, run_many, run_program, supervise
from gobig.methods.code.sandbox import isolation as isolation_module

pytestmark = pytest.mark.unit

FAST = Limits(cpu_seconds=1, wall_seconds=2, memory_mb=256)
HAS_BWRAP = sandbox.isolation_available() == "bwrap-minimal-fs"
needs_bwrap = pytest.mark.skipif(
    not HAS_BWRAP, reason="no usable bubblewrap: rlimits-only does not isolate the network or the file system"
)
ISOLATIONS = [pytest.param("bwrap-minimal-fs", marks=needs_bwrap), "rlimits-only"]


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
    """A world-writable directory outside /tmp (which the sandbox replaces
    with its own): under bubblewrap it is not mounted at all."""
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


# ------------------------------------------------------ what a program reads

#: A test of the planted problems file: its input, and the output a program
#: could print if it could read the file.
SECRET_INPUT = "31415 92653\n"
SECRET_OUTPUT = "gobig-planted-answer-58979\n"


@pytest.fixture
def planted_data():
    """A problems file in a "data" folder this test makes, readable by every
    user, outside /tmp: where the old read-only root let a program read it."""
    folder = Path(tempfile.mkdtemp(prefix="gobig-data-", dir="/var/tmp"))
    problems = folder / "codecontests" / "problems.jsonl"
    problems.parent.mkdir()
    record = {"name": "1_A. planted", "public_tests": {"input": [SECRET_INPUT], "output": [SECRET_OUTPUT]}}
    problems.write_text(json.dumps(record) + "\n")
    folder.chmod(0o755)
    problems.parent.chmod(0o755)
    problems.chmod(0o644)
    yield problems
    shutil.rmtree(folder)


@pytest.fixture
def planted_private():
    """A file in the home folder and one in the cache folder."""
    planted = [Path.home() / f".gobig-secret-{uuid.uuid4().hex}", paths.cache_dir() / f"secret-{uuid.uuid4().hex}"]
    paths.cache_dir().mkdir(parents=True, exist_ok=True)
    for path in planted:
        path.write_text("secret\n")
        path.chmod(0o644)
    yield planted
    for path in planted:
        path.unlink(missing_ok=True)


def forbidden_files(planted_data: Path, planted_private: list[Path]) -> list[Path]:
    """What a program must not read: the CodeContests mirror (its real path),
    a planted problems file, the checkout, the home and cache folders."""
    files = [
        codecontests.mirror_path(),
        paths.data_dir() / "codecontests" / "README.md",
        planted_data,
        paths.ROOT / "README.md",
        Path(__file__).resolve(),
        *planted_private,
    ]
    return [f for f in files if f.is_file()]


@needs_bwrap
@pytest.mark.reliability
def test_programs_read_none_of_the_data_checkout_home_or_cache(planted_data, planted_private):
    targets = forbidden_files(planted_data, planted_private)
    # Each is readable here, so a failure inside means the sandbox hid it.
    assert len(targets) >= 5 and all(os.access(t, os.R_OK) for t in targets)
    folders = [paths.data_dir(), planted_data.parent, paths.ROOT, Path.home(), paths.cache_dir()]
    source = (
        "import os\n"
        f"for path in {[str(t) for t in targets]!r}:\n"
        "    try:\n        open(path, 'rb').read(16)\n        print('read', path)\n"
        "    except OSError as error:\n        print('failed', type(error).__name__)\n"
        f"for folder in {[str(f) for f in folders]!r}:\n"
        "    try:\n        print('listed', folder, sorted(os.listdir(folder)))\n"
        "    except OSError as error:\n        print('failed', type(error).__name__)\n"
    )
    result = run(source, isolation="bwrap-minimal-fs")
    assert result.verdict == "ok" and result.isolation == "bwrap-minimal-fs"
    assert "read " not in result.stdout
    listed = [line for line in result.stdout.splitlines() if line.startswith("listed")]
    # Only the home folder may exist, as the way to an interpreter that lives
    # in it (pyenv's under /root), holding nothing but that way.
    interpreter = Path(sandbox.interpreter_files(os.path.realpath(sys.executable)).executable)
    allowed = {f"listed {Path.home()} {[interpreter.relative_to(Path.home()).parts[0]]}"}
    assert set(listed) <= (allowed if interpreter.is_relative_to(Path.home()) else set())
    assert result.stdout.count("failed") == len(targets) + len(folders) - len(listed)


@needs_bwrap
@pytest.mark.reliability
def test_the_file_system_holds_only_what_the_interpreter_needs(planted_data, planted_private):
    """A program walks the whole tree (not into /proc and /dev, which are the
    sandbox's own, nor into the bound folders): every path it finds is a
    bound file, a folder on the way to one, or its own /tmp."""
    files = sandbox.interpreter_files(os.path.realpath(sys.executable))
    bound_folders = [inside for host, inside in files.binds if os.path.isdir(host)]
    source = (
        "import base64, json, os, zlib\nfound = []\n"
        "for top, folders, names in os.walk('/'):\n"
        f"    folders[:] = [f for f in folders if os.path.join(top, f) not in {['/proc', '/dev', *bound_folders]!r}]\n"
        "    found += [os.path.join(top, n) for n in folders + names]\n"
        "print(base64.b64encode(zlib.compress(json.dumps(found).encode())).decode())\n"  # within KEEP_CHARS
    )
    result = run(source, isolation="bwrap-minimal-fs")
    found = json.loads(zlib.decompress(base64.b64decode(result.stdout)))
    inside = {path for _, path in files.binds}
    on_the_way = {str(parent) for path in inside for parent in Path(path).parents}
    strays = [p for p in found if p not in inside | on_the_way | {"/tmp"} and not p.startswith("/tmp/")]
    assert strays == [] and "/tmp/sandbox/main.py" in found
    hidden = [*forbidden_files(planted_data, planted_private), paths.data_dir(), paths.ROOT, paths.cache_dir()]
    assert not any(Path(p).is_relative_to(h) for p in found for h in hidden)


@pytest.mark.reliability
def test_the_answer_thief_is_caught_only_where_files_are_hidden(planted_data):
    """The reviewer's attack: outside the sandbox it prints the planted
    answer; under bubblewrap it can't open the file and fails; with
    rlimits only it succeeds, which is why such results claim no isolation."""
    thief = answer_thief([str(planted_data), str(codecontests.mirror_path())])
    outside = subprocess.run([sys.executable, "-c", thief], input=SECRET_INPUT, capture_output=True, text=True)
    assert outside.stdout == SECRET_OUTPUT  # the attack works where the file is readable
    for isolation in sandbox.ISOLATIONS if HAS_BWRAP else ["rlimits-only"]:
        result = run(thief, SECRET_INPUT, isolation=isolation, expected=SECRET_OUTPUT)
        assert result.isolation == isolation
        if sandbox.hides_files(isolation):
            assert result.verdict == "wrong_answer" and result.stderr.count("could not read") == 2
        else:
            assert result.verdict == "passed" and "stole it from" in result.stderr


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_standard_library_programs_still_run(isolation):
    source = (
        "import bisect, collections, decimal, fractions, functools, heapq, itertools, math, re, sys\n"
        "import array, copy, datetime, gzip, hashlib, json, operator, random, statistics, string, threading, zlib\n"
        "import bz2, ctypes, lzma, sqlite3, ssl, uuid  # extension modules with shared libraries of their own\n"
        "n, word = sys.stdin.readline().split()\n"
        "counts = collections.Counter(word)\n"
        "best = heapq.nlargest(1, counts.items(), key=lambda kv: (kv[1], kv[0]))[0]\n"
        "print(best, bisect.bisect([1, 3, 5], int(n)), math.comb(int(n), 2), fractions.Fraction(1, 3) + 1)\n"
        "print(decimal.Decimal(1) / 7, functools.reduce(operator.mul, range(1, 6)), re.sub('a+', '-', word))\n"
        "print(list(itertools.permutations('ab')), len(zlib.decompress(zlib.compress(b'x' * 100))), 'héllo ✓')\n"
        "threading.stack_size(1 << 26)\nsys.setrecursionlimit(10**6)\n"
        "def depth(k):\n    return 0 if k == 0 else 1 + depth(k - 1)\n"
        "worker = threading.Thread(target=lambda: print(depth(20000)))\nworker.start()\nworker.join()\n"
        "# A daemon thread still running at exit: glibc unwinds it with libgcc_s.\n"
        "threading.Thread(target=lambda: [sum(range(1000)) for _ in iter(int, 1)], daemon=True).start()\n"
    )
    result = run(source, "4 banana\n", isolation=isolation)
    assert result.verdict == "ok", result.stderr
    assert result.stdout.splitlines() == [
        "('a', 3) 2 6 4/3",
        "0.1428571428571428571428571429 120 b-n-n-",
        "[('a', 'b'), ('b', 'a')] 100 héllo ✓",
        "20000",
    ]


@needs_bwrap
def test_programs_run_on_the_base_interpreter_not_a_virtualenv():
    files = sandbox.interpreter_files(os.path.realpath(sys.executable))
    assert not Path(files.executable).is_relative_to(paths.ROOT)
    if sys.prefix != sys.base_prefix:
        assert not Path(files.executable).is_relative_to(os.path.realpath(sys.prefix))
    seen = run("import sys\nprint(sys.executable)\nprint(sys.prefix == sys.base_prefix)", isolation="bwrap-minimal-fs")
    assert seen.stdout.split() == [files.executable, "True"]
    # Its installed packages are hidden: the standard library only.
    assert files.hidden and all(run(f"import os\nprint(os.listdir({h!r}))").stdout == "[]\n" for h in files.hidden)


def test_interpreter_files_refuse_to_mount_a_protected_folder(monkeypatch):
    files = sandbox.interpreter_files(os.path.realpath(sys.executable))
    folder = next(Path(inside) for host, inside in files.binds if os.path.isdir(host))
    monkeypatch.setattr(isolation_module, "_protected", lambda: [folder / "a-data-folder"])
    with pytest.raises(OSError, match="would mount"):
        isolation_module.interpreter_files.__wrapped__(os.path.realpath(sys.executable))


def test_without_bubblewrap_results_say_rlimits_only(monkeypatch):
    """The fallback: no bwrap on the PATH, so every result names
    rlimits-only, and only bwrap-minimal-fs counts as hiding files."""
    which = shutil.which
    monkeypatch.setattr(supervise.shutil, "which", lambda name, **kw: None if name == "bwrap" else which(name, **kw))
    supervise.isolation_available.cache_clear()
    try:
        assert supervise.isolation_available() == "rlimits-only"
        python = python_for("rlimits-only")
        single = run_program("print(1)", python=python)
        assert (single.verdict, single.isolation) == ("ok", "rlimits-only")
    finally:
        monkeypatch.undo()
        supervise.isolation_available.cache_clear()
    assert set(sandbox.ISOLATIONS) | {"bwrap", "bwrap-ro-root"} <= set(sandbox.ISOLATION_MEANINGS)
    assert [
        sandbox.hides_files(name) for name in ("bwrap-minimal-fs", "bwrap", "bwrap-ro-root", "rlimits-only", None)
    ] == [
        True,
        False,
        False,
        False,
        False,
    ]


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
