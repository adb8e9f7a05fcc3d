"""Running the API: one uvicorn process, or several forked worker processes sharing one listening socket.

One Python process is bound by its GIL to one core, and most of a request's cost is Python (FastAPI,
SQLAlchemy, FHIR rendering); on a machine with more cores, ``--workers N`` lets N processes answer at once.
The supervisor (this process) owns the embedded PostgreSQL and keeps it running (``interop.db.watchdog``:
checked between reaping workers, or from a thread when there is a single in-process server), creates the
signing keys before forking (so workers never race to create different ones), restarts a worker that dies,
and on SIGTERM / SIGINT stops the workers first and returns, so the caller stops PostgreSQL last. Only
worker 0 runs the job worker; the queue is safe with several, but one poller is enough and keeps job order
easy to follow in the logs.

Per-process state that a deployment with several workers should know about: the token-endpoint rate limit
is counted per worker; metrics are aggregated across workers (``interop.api.metrics``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import uvicorn

from interop.config import Settings

if TYPE_CHECKING:
    from interop.db.watchdog import EmbeddedWatchdog

log = logging.getLogger(__name__)

# A worker that dies this soon after it was started, this many times in a row, is not restarted again.
_EARLY_EXIT_S = 5.0
_EARLY_EXITS_ALLOWED = 3
_PR_SET_PDEATHSIG = 1


class GracefulServer(uvicorn.Server):
    """uvicorn's server, but SIGTERM/SIGINT end in a clean return (so the embedded PostgreSQL is stopped by
    the caller's ``finally``) instead of the signal being re-raised, which would kill the process first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _config(settings: Settings, host: str, port: int) -> uvicorn.Config:
    from interop.main import create_app

    return uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # Forwarded addresses are believed only from INTEROP_TRUSTED_PROXIES, by interop.api.addresses;
        # uvicorn's own rule (trust 127.0.0.1 by default) would apply a second, different one first.
        proxy_headers=False,
    )


def run(
    settings: Settings, *, host: str, port: int, workers: int, watchdog: EmbeddedWatchdog | None = None
) -> None:
    """Serve until SIGTERM / SIGINT, or until the watchdog gives up on the embedded server (it then says
    why in ``watchdog.gave_up``); returns after every worker has stopped."""
    if workers <= 1:
        server = GracefulServer(_config(settings, host, port))
        done = threading.Event()
        watcher = threading.Thread(
            target=_watch, args=(watchdog, server, done), name="interop-db-watchdog", daemon=True
        )
        if watchdog is not None:
            watcher.start()
        try:
            server.run()
        finally:
            done.set()
            if watcher.is_alive():  # not in the middle of a restart when the caller stops PostgreSQL
                watcher.join(timeout=60)
        return
    _prepare_shared_state(settings)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    try:
        _supervise(settings, sock, host, port, workers, watchdog)
    finally:
        sock.close()


def _watch(watchdog: EmbeddedWatchdog | None, server: uvicorn.Server, done: threading.Event) -> None:
    """A single in-process server: the watchdog runs beside it (it only blocks on a probe or a restart)."""
    assert watchdog is not None
    while not done.wait(watchdog.interval):
        if not watchdog.check():
            server.should_exit = True
            return


def _prepare_shared_state(settings: Settings) -> None:
    """Everything workers would otherwise each create on first start: signing keys, the metrics folder."""
    from interop.audit import signing
    from interop.auth.tokens import KeyRing

    KeyRing.load_or_create(settings.resolved_data_dir / "keys")
    signing.load_or_create(settings)
    metrics_dir = settings.resolved_data_dir / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    # Read by prometheus_client when it is first imported, which happens in the workers after the fork.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)


def _supervise(
    settings: Settings,
    sock: socket.socket,
    host: str,
    port: int,
    workers: int,
    watchdog: EmbeddedWatchdog | None,
) -> None:
    children: dict[int, tuple[int, float]] = {}  # pid -> (worker index, started at)
    stopping = False
    early_exits = 0

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for index in range(workers):
            children[_spawn(settings, sock, host, port, index)] = (index, time.monotonic())
        while children:
            try:
                pid, status = _wait_child(watchdog.interval if watchdog is not None else None)
            except ChildProcessError:
                break
            if pid == 0:  # no child ended: time to look at the database
                if watchdog is not None and not stopping and not watchdog.check():
                    stop(signal.SIGTERM, None)
                continue
            index, started = children.pop(pid, (-1, 0.0))
            _forget_metrics_of(pid)
            if stopping or index < 0:
                continue
            code = os.waitstatus_to_exitcode(status)
            log.error("worker exited unexpectedly", extra={"worker": index, "exit_code": code})
            early_exits = early_exits + 1 if time.monotonic() - started < _EARLY_EXIT_S else 0
            if early_exits >= _EARLY_EXITS_ALLOWED:
                log.error("workers keep failing at start; stopping", extra={"worker": index})
                stop(signal.SIGTERM, None)
                continue
            children[_spawn(settings, sock, host, port, index)] = (index, time.monotonic())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait_child(timeout: float | None) -> tuple[int, int]:
    """``os.wait()``, but returning (0, 0) after ``timeout`` seconds when no child has ended."""
    if timeout is None:
        return os.wait()
    deadline = time.monotonic() + timeout
    while True:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid or time.monotonic() >= deadline:
            return pid, status
        time.sleep(min(0.1, timeout))


def _end_with_parent(parent: int) -> None:
    """Linux: SIGTERM this worker when the supervisor dies, even by SIGKILL, so no orphan keeps the port."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the supervisor died before the request took effect
        os._exit(0)


def _spawn(settings: Settings, sock: socket.socket, host: str, port: int, index: int) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        _end_with_parent(parent)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        worker_settings = settings.model_copy(update={"run_worker": settings.run_worker and index == 0})
        GracefulServer(_config(worker_settings, host, port)).run(sockets=[sock])
    except BaseException:  # a worker must never return into the supervisor's code
        log.exception("worker failed", extra={"worker": index})
        code = 1
    finally:
        logging.shutdown()
        os._exit(code)


def _forget_metrics_of(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
