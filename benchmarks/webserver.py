"""gunicorn serving Tranche on a loopback port, for the load benchmark: started in a process
group of its own, stopped with the whole group, and gone with the process that started it."""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

BASE_DIR = Path(__file__).resolve().parent.parent
PORTS = range(8300, 8400)  # this benchmark's loopback range; any free port after it
PR_SET_PDEATHSIG = 1


def free_port() -> int:
    for port in [*PORTS, 0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise OSError("no free loopback port")


def _die_with_parent() -> None:
    """In the child before exec: Linux sends gunicorn's master SIGTERM when the benchmark
    dies, even by SIGKILL, and the master takes its workers down with it."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Gunicorn:
    """`gunicorn config.wsgi --workers N` on 127.0.0.1, its output appended to `log`: the
    Procfile's web process."""

    def __init__(
        self, env: dict[str, str], log: Path, *, workers: int = 2, timeout: int = 120
    ) -> None:
        self.env = env
        self.log = log
        self.workers = workers
        # gunicorn's own default (the Procfile's) is 30 s; the load benchmark allows longer.
        self.timeout = timeout
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Gunicorn:
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi",
                 "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                 "--timeout", str(self.timeout),
                 # As the Procfile: no machine-wide ~/.gunicorn/gunicorn.ctl shared by
                 # every instance on the machine (gunicorn 27 makes one by default).
                 "--no-control-socket"],
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )  # fmt: skip
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_until_answering(self, path: str, *, timeout: float = 60) -> None:
        """Until every worker is up and `path` answers (whatever the status)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"gunicorn exited with {code}: see {self.log}")
            if len(self.worker_pids()) == self.workers and self._answers(path):
                return
            time.sleep(0.2)
        raise TimeoutError(f"gunicorn did not answer within {timeout:.0f} s: see {self.log}")

    def _answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.url(path), timeout=10):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(child) for child in children.split()]

    def worker_rss_mib(self, field: str = "VmRSS") -> dict[int, float]:
        """Each worker's resident memory in MiB, by pid: now (VmRSS), or its peak (VmHWM)."""
        sizes = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue  # exited in between
            for line in status.splitlines():
                if line.startswith(f"{field}:"):
                    sizes[pid] = int(line.split()[1]) / 1024
        return sizes

    def stop(self) -> None:
        """SIGTERM to the group (gunicorn stops its workers gracefully), SIGKILL after 20 s."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass
        self.process = None


def collect_static(root: Path) -> None:
    """With DEBUG off pages link the hashed names of the manifest, as in production. The
    files are not compressed as whitenoise's storage would (ten times as long): hey asks for
    pages, not for the files they link, and whitenoise serves either."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    manifest_only = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    with override_settings(
        STATIC_ROOT=root, STORAGES={**settings.STORAGES, "staticfiles": manifest_only}
    ):
        call_command("collectstatic", interactive=False, verbosity=0)


def production_env(static_root: Path, *, conn_max_age: int | None) -> dict[str, str]:
    """The environment of the Procfile's web process in production, on the test database."""
    from django.conf import settings

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "TRANCHE_VAR_DIR": str(settings.VAR_DIR),
        "STATIC_ROOT": str(static_root),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRACKER_PUBLIC": "true",
        "LOG_LEVEL": "WARNING",
    }
    # As this process read it (the variable, else the settings' default), unless overridden.
    kept = settings.DATABASES["default"]["CONN_MAX_AGE"] if conn_max_age is None else conn_max_age
    env["CONN_MAX_AGE"] = str(kept)
    return env


def database_url() -> str:
    """The throwaway database, as DATABASE_URL, for gunicorn to serve."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
