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
- With bubblewrap (``isolation == "bwrap-minimal-fs"``), the program runs
  in a new, empty root that holds only what the interpreter needs, each
  bound read-only: its binary, the folders on its module path (standard
  library and extension modules, with the installation's site-packages
  hidden), the shared libraries the loader maps for them, the files Python
  opens at start-up (the loader's cache, /etc/localtime, the C.UTF-8
  locale) and util-linux's setpriv and prlimit (``interpreter_files``
  works them out once per interpreter, from its own sys.path and ldd). No
  data folder, checkout, home or cache folder: a program can't read the
  problems file to look up its expected output. Also a fresh /dev and
  /proc, and a private, size-capped tmpfs on /tmp and /dev/shm. Its
  directory is /tmp/sandbox in that tmpfs, so what it writes can't fill a
  disk. A virtualenv's interpreter is swapped for its base installation's
  (a virtualenv may live inside the checkout, and its packages are not for
  untrusted programs). It gets new PID, network, IPC and UTS namespaces: no
  network at all, and when the namespace's init dies, every descendant
  dies, including ones that called setsid() or double-forked.
  As root, bwrap builds the namespaces as real root, so it can bind an
  interpreter that lives in a private directory, like pyenv's under /root
  (the folders on the way are new and empty). Then ``setpriv`` drops to
  the leased uid just before Python starts (it does so without bubblewrap
  too).
  (bwrap's own ``--unshare-user --uid`` would leave the program as uid 0
  outside the namespace, exempt from RLIMIT_NPROC. Measured: a fork loop
  made 200 processes under a limit of 10.)
  As a normal user, bwrap creates a user namespace, where RLIMIT_NPROC
  counts processes per namespace.
- Without bubblewrap (``isolation == "rlimits-only"``), the rlimits and the
  uid still apply, but the network and the file system are NOT isolated:
  the program can open connections and read or write whatever its uid may,
  the problems file included. Results say so, and prose built on them must
  not claim isolation (``hides_files``).
  Descendants are killed through the process group and then by sweeping
  /proc. As root the sweep matches the leased uid and is exact. As a normal
  user it matches processes whose working directory is the run's, which is
  best effort. As root, the leased uid must also be able to reach the
  interpreter: one under /root needs bubblewrap, or ``python=`` pointing
  elsewhere (such as /usr/bin/python3).
- Records made before the file system was narrowed say ``"bwrap"``: the
  whole file system read-only but readable (``ISOLATION_MEANINGS`` calls it
  bwrap-ro-root).

Needs Linux 5.3 or later (pidfd), and util-linux's prlimit and (as root)
setpriv, and ldd. The parts, one job each: ``compare`` (output comparison,
syntax checks), ``isolation`` (limits, uid leases, what the interpreter
needs mounted, the bubblewrap or rlimits-only command), ``supervise``
(launch, watch, kill, classify: ``run_program``, ``run_many``), ``batch``
(``run_batch``) and ``cli``. Command line, for one
program (the wall limit is 2S+1 seconds)::

    python -m gobig.methods.code.sandbox run PROGRAM.py --input FILE [--expected FILE] --timeout S --memory-mb M [--compare exact|tokens]
"""

from __future__ import annotations

# The public names, importable from gobig.methods.code.sandbox as before the split.
from gobig.methods.code.sandbox.batch import run_batch
from gobig.methods.code.sandbox.compare import COMPARE_MODES, VERDICTS, check_syntax, outputs_match
from gobig.methods.code.sandbox.isolation import (
    ISOLATION_MEANINGS,
    ISOLATIONS,
    SANDBOX_DIR,
    SANDBOX_UIDS,
    UID_LOCKS,
    InterpreterFiles,
    Limits,
    hides_files,
    interpreter_files,
)
from gobig.methods.code.sandbox.supervise import KEEP_CHARS, RunResult, isolation_available, run_many, run_program

__all__ = [
    "COMPARE_MODES",
    "ISOLATIONS",
    "ISOLATION_MEANINGS",
    "KEEP_CHARS",
    "SANDBOX_DIR",
    "SANDBOX_UIDS",
    "UID_LOCKS",
    "VERDICTS",
    "InterpreterFiles",
    "Limits",
    "RunResult",
    "check_syntax",
    "hides_files",
    "interpreter_files",
    "isolation_available",
    "outputs_match",
    "run_batch",
    "run_many",
    "run_program",
]
