"""How a program is contained (see ``gobig.methods.code.sandbox``): its limits
(``Limits``, applied as rlimits by prlimit), the uid leased to one run when
we are root, and the command that starts it, under bubblewrap or with
rlimits only."""

from __future__ import annotations

import contextlib
import fcntl
import math
import numbers
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

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
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": home,
    }


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
        command += [
            "setpriv",
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
        "prlimit",
        f"--cpu={cpu}:{cpu + 1}",
        f"--as={memory}:{memory}",
        f"--fsize={limits.file_bytes}:{limits.file_bytes}",
        "--core=0:0",
        f"--nofile={_OPEN_FILES}:{_OPEN_FILES}",
        f"--nproc={processes}:{processes}",
        "--",
    ]
    return command + [python, *_PYTHON]
