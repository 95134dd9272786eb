"""A two-node Ray cluster on this machine, for the tests that need a real
one (tests/test_ray_cluster.py): a head node and a worker node, each
started with ``ray start --block`` in a session of its own, with its own
temporary folder, one CPU and token authentication on, and stopped by
ending exactly the processes of those two sessions.

Token authentication as a user sets it up (the README's scale-out section):
a token at ``~/.ray/auth_token`` and ``RAY_AUTH_MODE=token`` in every node's
and the driver's environment. Here ``HOME`` is a temporary folder, so the
user's own ``~/.ray`` is never read or written.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

#: The ray command of this Python's environment.
RAY = str(Path(sys.executable).with_name("ray"))

#: Inherited variables that would point the nodes or the driver at another
#: cluster or another token.
FOREIGN = ("RAY_ADDRESS", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE")


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together, so all differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for held in sockets:
            held.bind(("127.0.0.1", 0))
        return [held.getsockname()[1] for held in sockets]
    finally:
        for held in sockets:
            held.close()


def session_processes(session: int) -> list[int]:
    """The live (not zombie) processes of a session (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


class TwoNodeCluster:
    """Start with ``start()``, end with ``stop()`` (which returns the pids
    still alive: none, unless something went wrong). ``folder`` must have a
    short path: Ray's socket paths under it may have at most 107 bytes."""

    def __init__(self, folder: Path):
        self.folder = folder
        home = folder / "home"
        (home / ".ray").mkdir(parents=True)
        (home / ".ray" / "auth_token").write_text(secrets.token_hex(32))
        base = {name: value for name, value in os.environ.items() if name not in FOREIGN}
        #: The environment of the nodes and of a driver that has the token.
        self.environment = {**base, "HOME": str(home), "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
        self.nodes: list[subprocess.Popen] = []
        self.address = ""

    def _start_node(self, name: str, arguments: list[str]) -> None:
        # Every port a node opens, chosen free, so other Ray instances on this machine never collide with it.
        dashboard_agent, agent_grpc, metrics, runtime_env = free_ports(4)
        log = open(self.folder / f"{name}.log", "w")
        self.nodes.append(
            subprocess.Popen(
                [
                    RAY,
                    "start",
                    "--block",
                    "--num-cpus=1",
                    "--node-ip-address=127.0.0.1",
                    f"--temp-dir={self.folder / name}",
                    "--object-store-memory=100000000",
                    f"--dashboard-agent-listen-port={dashboard_agent}",
                    f"--dashboard-agent-grpc-port={agent_grpc}",
                    f"--metrics-export-port={metrics}",
                    f"--runtime-env-agent-port={runtime_env}",
                    "--disable-usage-stats",
                    *arguments,
                ],
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session: stop() ends it and nothing else
            )
        )

    def start(self, timeout: float = 180) -> TwoNodeCluster:
        gcs, dashboard = free_ports(2)
        self.address = f"127.0.0.1:{gcs}"
        self._start_node(
            "head",
            [
                "--head",
                f"--port={gcs}",
                "--include-dashboard=false",
                f"--dashboard-port={dashboard}",
            ],
        )
        self._wait_for_nodes(1, timeout)
        self._start_node("worker", [f"--address={self.address}"])
        self._wait_for_nodes(2, timeout)
        return self

    def live_nodes(self) -> list[dict]:
        """Each live node's resources, asked by a separate driver process."""
        script = (
            f"import json, ray; ray.init(address={self.address!r}, log_to_driver=False); "
            "print(json.dumps([n['Resources'] for n in ray.nodes() if n['Alive']]))"
        )
        try:
            completed = subprocess.run(
                [sys.executable, "-c", script], env=self.environment, capture_output=True, text=True, timeout=30
            )
        except subprocess.TimeoutExpired:  # the head is not listening yet
            return []
        if completed.returncode:
            return []
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def _wait_for_nodes(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, node in zip(("head", "worker"), self.nodes):
                if node.poll() is not None:
                    log = (self.folder / f"{name}.log").read_text().strip().splitlines()
                    raise RuntimeError(f"the {name} node's ray start exited: {' / '.join(log[-3:])}")
            if len(self.live_nodes()) >= count:
                return
            time.sleep(1)
        raise TimeoutError(f"{count} Ray node(s) not up after {timeout:.0f} s")

    def processes(self) -> list[int]:
        """Every live process of the nodes' sessions (Ray's task workers too)."""
        return [pid for node in self.nodes for pid in session_processes(node.pid)]

    def stop(self, grace: float = 10) -> list[int]:
        """End every process of the nodes' sessions: SIGTERM, then SIGKILL
        whatever is left after ``grace`` seconds. Returns the survivors."""
        sessions = [node.pid for node in self.nodes]
        for session in sessions:
            for pid in session_processes(session):
                _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(session_processes(s) for s in sessions):
            time.sleep(0.5)
        for session in sessions:
            for pid in session_processes(session):
                _signal(pid, signal.SIGKILL)
        for node in self.nodes:
            node.wait(timeout=30)
        time.sleep(1)
        return [pid for session in sessions for pid in session_processes(session)]


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass
