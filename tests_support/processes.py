"""Real MusicFlow processes (``manage.py qcluster``, gunicorn, ``manage.py ...``) for fault
tests and benchmarks.

Each process runs in its own session (process group), so a SIGKILL takes down a
qcluster's guard, pusher, monitor and workers together, like a machine losing power;
its output goes to a log file that a failed wait prints. Nothing here imports Django:
``bench/load.py`` uses it before settings are configured.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOG_TAIL_CHARS = 4000


class WaitTimeout(AssertionError):
    """A bounded wait ran out; the message names what was awaited and shows the logs."""


@dataclass
class Process:
    """A started process group and where its output goes."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group: no handler runs, no transaction commits.

        Only once: afterwards the group's id may belong to someone else's process.
        """
        if self.killed:
            return
        self._signal_group(signal.SIGKILL)
        self._reap(timeout=15)
        self.killed = True

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} log ({self.log.name}) ---\n{text[-chars:]}"

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def _reap(self, *, timeout: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        # The leader may be gone while children of its group still run.
        self._signal_group(signal.SIGKILL)


@dataclass
class ProcessSet:
    """Every process a test or bench started, so none outlives it."""

    log_dir: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, *, name: str, args: Sequence[str], env: Mapping[str, str]) -> Process:
        log = self.log_dir / f"{name}-{len(self.processes)}.log"
        process = process_start(name=name, args=args, env=env, log=log)
        self.processes.append(process)
        return process

    def qcluster(self, *, env: Mapping[str, str], cluster: str | None = None) -> Process:
        """``manage.py qcluster``; ``cluster`` picks an ALT_CLUSTERS entry (Q_CLUSTER_NAME)."""
        cluster_env = {k: v for k, v in env.items() if k != "Q_CLUSTER_NAME"}
        if cluster:
            cluster_env["Q_CLUSTER_NAME"] = cluster
        return self.start(
            name=f"qcluster-{cluster or 'default'}",
            args=[sys.executable, "manage.py", "qcluster"],
            env=cluster_env,
        )

    def gunicorn(self, *, env: Mapping[str, str], bind: str, workers: int) -> Process:
        """gunicorn with the project's gunicorn.conf.py, bound and sized as asked."""
        gunicorn_env = {
            **env,
            "GUNICORN_BIND": bind,
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_ACCESS_LOG": "",  # per-request lines would drown the log
        }
        return self.start(
            name="gunicorn",
            args=[sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
            env=gunicorn_env,
        )

    def logs(self, *, chars: int = LOG_TAIL_CHARS) -> str:
        return "\n".join(process.log_tail(chars) for process in self.processes)

    def kill_all(self) -> None:
        for process in self.processes:
            process.kill()


def process_start(*, name: str, args: Sequence[str], env: Mapping[str, str], log: Path) -> Process:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        popen = subprocess.Popen(
            list(args),
            cwd=PROJECT_ROOT,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: children die with it
        )
    return Process(name=name, popen=popen, log=log)


def manage_run(*, env: Mapping[str, str], args: Sequence[str], timeout: float = 180.0) -> str:
    """Run ``manage.py <args>`` to completion; its stdout, or an error with its stderr."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}"
        )
    return result.stdout


def wait_for(
    condition: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    processes: ProcessSet | Iterable[Process] = (),
    interval: float = 0.05,
) -> Any:
    """Poll ``condition`` until it returns something truthy (returned); bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    logs = (
        processes.logs()
        if isinstance(processes, ProcessSet)
        else "\n".join(p.log_tail() for p in processes)
    )
    raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(host: str, port: int, path: str, *, timeout: float = 5.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def http_wait_ready(
    *, host: str, port: int, path: str, timeout: float, processes: ProcessSet | Iterable[Process]
) -> None:
    """Wait until the server answers ``path`` at all (any status: it is up)."""

    def answers() -> bool:
        try:
            http_get(host, port, path, timeout=2.0)
        except OSError:
            return False
        return True

    wait_for(
        answers, timeout=timeout, what=f"http://{host}:{port}{path} to answer", processes=processes
    )


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """The DATABASE_URL that reaches the database a Django connection uses now
    (during a test run: the test database pytest-django created)."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            raise ValueError(
                "the test database is in memory, invisible to other processes; "
                "settings.test gives SQLite a file (DATABASES['default']['TEST']['NAME'])"
            )
        return f"sqlite:///{name}"
    if engine.endswith("postgresql"):
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{quote(name, safe='')}"
    raise ValueError(f"no DATABASE_URL form for engine {engine}")


def process_rss_bytes(pid: int) -> int:
    """Resident memory of one process (Linux /proc), 0 if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def child_pids(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers under its arbiter)."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        children: list[int] = []
        for task in tasks:
            text = (task / "children").read_text().split()
            children.extend(int(child) for child in text)
    except OSError:
        return []
    return sorted(set(children))
