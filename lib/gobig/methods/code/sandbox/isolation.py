"""How a program is contained (see ``gobig.methods.code.sandbox``): its limits
(``Limits``, applied as rlimits by prlimit), the uid leased to one run when
we are root, the host files the interpreter needs (``interpreter_files``),
and the command that starts it, under bubblewrap or with rlimits only."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import math
import numbers
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from gobig.core import paths

#: The isolations a run can have now; every result names the one it ran under.
ISOLATIONS = ("bwrap-minimal-fs", "rlimits-only")


#: What each isolation a record may name meant for the program. Records made
#: before the file system was narrowed say "bwrap": that is the policy called
#: "bwrap-ro-root" here, under which a program could read every file its uid
#: could, the problems file with its tests' expected outputs included.
ISOLATION_MEANINGS = {
    "bwrap-minimal-fs": (
        "bubblewrap: own PID, network, IPC and UTS namespaces (no network), an unprivileged uid, rlimits, "
        "and a file system holding only the Python interpreter, its standard library and shared libraries, "
        "the program and a private /tmp"
    ),
    "bwrap-ro-root": (
        "bubblewrap: own namespaces (no network), an unprivileged uid, rlimits, and the whole file system "
        "mounted read-only but readable, the data and the checkout included"
    ),
    "bwrap": "the name records carried for bwrap-ro-root",
    "rlimits-only": "rlimits and an unprivileged uid only: neither the network nor the file system is isolated",
}


def hides_files(isolation: str | None) -> bool:
    """Did a run under ``isolation`` (a record's name; None when the record
    names none) keep the program away from files it must not read?"""
    return isolation == "bwrap-minimal-fs"


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


_OPEN_FILES = 64


_TMP_BYTES = 16 << 20


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


def _lock_folder() -> Path:
    with contextlib.suppress(FileExistsError):
        UID_LOCKS.mkdir(mode=0o700)
    info = UID_LOCKS.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise RuntimeError(f"{UID_LOCKS} must be a directory only this user can use; remove it")
    return UID_LOCKS


@contextlib.contextmanager
def leased_uid() -> Iterator[int | None]:
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


# Run outside the sandbox, once per interpreter: where its standard library
# lies, and whether it is a virtualenv's (then its base installation runs
# programs: a virtualenv's packages are not for untrusted programs, and it may
# live inside the checkout).
_PROBE = (
    "import json, os, sys, sysconfig; print(json.dumps({"
    "'venv': sys.prefix != sys.base_prefix, "
    "'base': os.path.realpath(getattr(sys, '_base_executable', sys.executable)), "
    "'path': [p for p in sys.path if p], "
    "'site': [sysconfig.get_path(n) for n in ('purelib', 'platlib')]}))"
)


#: Files Python or the C library opens at start-up, beyond the interpreter's
#: own (found with strace): the loader's cache, the time zone, the locale
#: that LANG=C.UTF-8 names. Bound when present; none is needed to run.
_START_UP_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/usr/lib/locale/C.utf8")


#: Extension modules whose shared libraries are not mounted: they serve what
#: the sandbox never has (a display, a terminal, the network), and each
#: mount costs every launch about half a millisecond (on a loaded 2-core
#: Xeon, bwrap alone took 28 ms longer than with the old readable root when
#: it made all 54 mounts pyenv's Python 3.11 needs, 11 ms with the 23 left
#: without these). Importing one fails.
_UNMOUNTED_EXTENSIONS = ("_tkinter", "_curses", "_curses_panel", "readline", "nis")


@dataclass(frozen=True)
class InterpreterFiles:
    """The Python that runs programs, and every host file it needs inside
    bubblewrap: nothing else of the host's file system is mounted."""

    executable: str  # the base installation's binary, never a virtualenv's
    binds: tuple[tuple[str, str], ...]  # (host path, path inside), read-only
    hidden: tuple[str, ...]  # folders inside a bound one an empty tmpfs hides (the installation's site-packages)
    setpriv: str | None  # util-linux's, bound too; None when absent (needed only as root)
    prlimit: str


def _probe(python: str) -> dict:
    completed = subprocess.run(
        [python, "-I", "-S", "-c", _PROBE], capture_output=True, text=True, timeout=60, env=scrubbed_environment("/")
    )
    try:
        return json.loads(completed.stdout)
    except ValueError:
        raise OSError(f"{python} could not describe itself: {completed.stderr.strip()[-300:]}") from None


def _shared_libraries(files: list[str]) -> set[str]:
    """Every shared library the dynamic loader maps for ``files`` (ldd: the
    loader's own answer), the loader itself included."""
    ldd = shutil.which("ldd", path="/usr/bin:/bin")
    if ldd is None:
        raise OSError("bwrap-minimal-fs needs ldd to find the interpreter's shared libraries")
    environment = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    listing = subprocess.run([ldd, *files], capture_output=True, text=True, timeout=120, env=environment).stdout
    found = set()
    for line in listing.splitlines():
        line = line.strip()
        if "=>" in line:  # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", or "=> not found"
            line = line.split("=>", 1)[1].strip()
        if line.startswith("/") and " (0x" in line:
            found.add(line.split(" (0x", 1)[0])
    if not found:
        raise OSError(f"ldd found no shared libraries for {files[0]}")
    return found


def _protected() -> list[Path]:
    """Folders a program must not see any part of: the data, the checkout,
    the cache, the home folder."""
    return [paths.ROOT, paths.data_dir(), paths.cache_dir(), Path.home()]


@functools.cache
def interpreter_files(python: str) -> InterpreterFiles:
    """What bubblewrap mounts for ``python`` (an absolute path): its base
    installation's binary, the folders on its module path (its standard
    library and extension modules), the shared libraries the loader maps for
    it, its extension modules (but ``_UNMOUNTED_EXTENSIONS``) and the two
    util-linux tools, and the start-up files. Computed once per interpreter, outside the sandbox. Raises
    OSError when it can't be worked out, or when a bind would show the
    data, the checkout, the cache or the home folder."""
    facts = _probe(python)
    if facts["venv"]:
        facts = _probe(facts["base"])
    executable = facts["base"]
    on_path = [os.path.realpath(p) for p in facts["path"] if os.path.isdir(p)]
    folders: list[str] = []
    for entry in sorted(set(on_path), key=len):
        if not any(Path(entry).is_relative_to(kept) for kept in folders):
            folders.append(entry)
    hidden = sorted(
        {
            os.path.realpath(site)
            for site in facts["site"]
            if site and os.path.isdir(site) and any(Path(os.path.realpath(site)).is_relative_to(f) for f in folders)
        }
    )
    setpriv = shutil.which("setpriv", path="/usr/bin:/bin")
    prlimit = shutil.which("prlimit", path="/usr/bin:/bin")
    if prlimit is None:
        raise OSError("the sandbox needs util-linux's prlimit")
    tools = [os.path.realpath(t) for t in (setpriv, prlimit) if t]
    extensions = [
        str(f)
        for folder in on_path
        for f in sorted(Path(folder).glob("*.so"))
        if f.name.split(".", 1)[0] not in _UNMOUNTED_EXTENSIONS
    ]
    libraries = _shared_libraries([executable, *tools, *extensions])
    # glibc loads libgcc_s at run time, to unwind a thread that pthread_exit
    # ends (Python's daemon threads at exit); ldd can't see that.
    for library in list(libraries):
        if Path(library).name.startswith("libc.so"):
            unwinder = Path(library).parent / "libgcc_s.so.1"
            if unwinder.exists():
                libraries.add(str(unwinder))
    binds = {executable: executable, **{tool: tool for tool in tools}, **{folder: folder for folder in folders}}
    for inside in [*sorted(libraries), *_START_UP_FILES]:
        if os.path.exists(inside):
            binds[inside] = os.path.realpath(inside)  # bound at the name the loader or libc asks for
    pairs = tuple(sorted((host, inside) for inside, host in binds.items()))
    for host, _ in pairs:
        for folder in _protected():
            if folder.resolve().is_relative_to(host):
                raise OSError(f"the sandbox would mount {host}, which holds {folder}")
    return InterpreterFiles(
        executable, pairs, tuple(hidden), os.path.realpath(setpriv) if setpriv else None, os.path.realpath(prlimit)
    )


def scrubbed_environment(home: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": home,
    }


def bwrap_command(files: InterpreterFiles, uid: int | None, limits: Limits, info_fd: int, source_fd: int) -> list[str]:
    command = ["bwrap", "--die-with-parent", "--new-session", "--clearenv", "--info-fd", str(info_fd)]
    if uid is None:
        command += ["--unshare-all"]  # including a user namespace, which an unprivileged bwrap needs
    else:
        # Everything but a user namespace: bwrap stays real root to build the
        # mounts, and setpriv (below) makes the program a real unprivileged uid.
        command += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    # A new, empty root: only what is bound below exists in it. The folders
    # on the way to a bound path (/root for pyenv's) are new and hold nothing
    # else. They are made first, searchable by all: bwrap would make them
    # 0700 here, which the leased uid can't pass.
    command += ["--dev", "/dev", "--proc", "/proc"]
    ancestors = {str(parent) for _, inside in files.binds for parent in Path(inside).parents} - {"/"}
    for folder in sorted(ancestors, key=lambda f: (f.count("/"), f)):
        command += ["--perms", "0755", "--dir", folder]
    for host, inside in files.binds:
        command += ["--ro-bind", host, inside]
    for folder in files.hidden:
        command += ["--size", "4096", "--perms", "0555", "--tmpfs", folder]
    # The root itself, read-only, before /tmp is mounted on it: in a user
    # namespace the program would own it otherwise. (bwrap's --remount-ro
    # reaches the mounts below it, so /tmp and /dev/shm come after.)
    command += ["--dir", "/tmp", "--remount-ro", "/"]
    # The program's directory lives in the sandbox's own /tmp. That is a
    # size-capped tmpfs, like /dev/shm, so whatever the program writes is
    # bounded (RLIMIT_FSIZE caps only single files) and vanishes with the
    # sandbox. Its source is copied in.
    size = str(_TMP_BYTES + limits.file_bytes)
    command += [
        "--size",
        size,
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
        "--size",
        size,
        "--perms",
        "1777",
        "--tmpfs",
        "/dev/shm",
    ]
    command += [
        "--perms",
        "0777",
        "--dir",
        SANDBOX_DIR,
        "--perms",
        "0444",
        "--file",
        str(source_fd),
        f"{SANDBOX_DIR}/main.py",
    ]
    command += ["--chdir", SANDBOX_DIR]
    for key, value in scrubbed_environment(SANDBOX_DIR).items():
        command += ["--setenv", key, value]
    return command + ["--"]


def python_command(
    python: str, uid: int | None, limits: Limits, processes: int, setpriv: str = "setpriv", prlimit: str = "prlimit"
) -> list[str]:
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
        command += [
            setpriv,
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--no-new-privs",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
        ]
    cpu = math.ceil(limits.cpu_seconds)  # SIGXCPU at the limit, SIGKILL a second later
    memory = limits.memory_mb << 20
    command += [
        prlimit,
        f"--cpu={cpu}:{cpu + 1}",
        f"--as={memory}:{memory}",
        f"--fsize={limits.file_bytes}:{limits.file_bytes}",
        "--core=0:0",
        f"--nofile={_OPEN_FILES}:{_OPEN_FILES}",
        f"--nproc={processes}:{processes}",
        "--",
    ]
    return command + [python, *_PYTHON]
