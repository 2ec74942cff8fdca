"""Run an ASGI app with uvicorn on a loopback port: in a thread (tests) or in its own process (demo,
benchmarks, crash drills — so that the sandbox never competes with the hub for one interpreter's GIL)."""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from types import FrameType
from typing import Any

import uvicorn

AppFactory = Callable[..., Any]
LOOPBACK = "127.0.0.1"


@dataclass
class RunningServer:
    """A server started by ``serve_in_thread`` or ``serve_in_process``; ``stop()`` ends it."""

    url: str
    port: int
    _stop: Callable[[], None] = field(repr=False)

    def stop(self) -> None:
        """Stop the server and wait for it to end."""
        self._stop()


def _config(app: Any, port: int, **options: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=LOOPBACK,
        port=port,
        log_level=options.pop("log_level", "warning"),
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        **options,
    )


def _bound_port(server: uvicorn.Server) -> int:
    port: int = server.servers[0].sockets[0].getsockname()[1]
    return port


def serve_in_thread(app: Any, port: int = 0, startup_timeout: float = 10.0, **options: Any) -> RunningServer:
    """Serve ``app`` from a daemon thread; port 0 picks a free one."""
    server = uvicorn.Server(_config(app, port, **options))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start (is the port taken?)")
        time.sleep(0.01)
    bound = _bound_port(server)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return RunningServer(url=f"http://{LOOPBACK}:{bound}", port=bound, _stop=stop)


class _ChildServer(uvicorn.Server):
    """uvicorn's server in a child process, whose lifetime its parent owns: it stops on SIGTERM (what
    ``RunningServer.stop`` sends) but not on SIGINT. A terminal's Ctrl-C reaches every process of the
    foreground group; the parent handles it (``mpphub demo`` and ``sandbox up`` stop each child, then say
    "stopped"), while a child reacting to it by itself would re-raise KeyboardInterrupt after its shutdown
    (uvicorn does) and print a traceback per server — and stop before the parent has finished with it."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGINT:
            super().handle_exit(sig, frame)


def _exit_when_orphaned(server: uvicorn.Server, parent: int) -> None:
    """Stop ``server`` once its parent process is gone (killed with no chance to stop its children): a
    server ignoring Ctrl-C must not outlive the command that started it."""
    while os.getppid() == parent:
        time.sleep(1.0)
    server.should_exit = True


def _child(
    factory_path: str, kwargs: dict[str, Any], port: int, conn: multiprocessing.connection.Connection, parent: int
) -> None:
    # deaf to Ctrl-C from the start, also while importing the app (see _ChildServer); the process was
    # spawned with SIGINT blocked (_ctrl_c_held), so that one sent meanwhile is pending: ignoring discards it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    module_name, _, attr = factory_path.partition(":")
    app = getattr(importlib.import_module(module_name), attr)(**kwargs)
    server = _ChildServer(_config(app, port))
    threading.Thread(target=_exit_when_orphaned, args=(server, parent), name="orphan-watch", daemon=True).start()

    original_startup = server.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets)
        conn.send(_bound_port(server))

    server.startup = startup  # type: ignore[method-assign]
    server.run()


def serve_in_process(
    factory_path: str, kwargs: dict[str, Any] | None = None, port: int = 0, startup_timeout: float = 30.0
) -> RunningServer:
    """Serve the app built by ``module:factory(**kwargs)`` from a child process (spawned, not forked)."""
    return serve_many_in_process([(factory_path, kwargs or {})], [port], startup_timeout)[0]


def serve_many_in_process(
    apps: list[tuple[str, dict[str, Any]]], ports: list[int] | None = None, startup_timeout: float = 30.0
) -> list[RunningServer]:
    """Serve each ``(module:factory, kwargs)`` from its own child process, all started at once (so that
    ten simulated systems cost about one start-up, not ten); in the order given. Port 0 (the default):
    any free one. When one does not start, every one is stopped and RuntimeError raised."""
    ctx = multiprocessing.get_context("spawn")
    ports = ports or [0] * len(apps)
    children: list[tuple[str, Any, multiprocessing.connection.Connection]] = []
    try:
        for (factory_path, kwargs), port in zip(apps, ports, strict=True):
            parent_conn, child_conn = ctx.Pipe(duplex=False)
            args = (factory_path, kwargs, port, child_conn, os.getpid())
            process = ctx.Process(target=_child, args=args, daemon=True)
            with _ctrl_c_held():
                process.start()
                children.append((factory_path, process, parent_conn))
        deadline = time.monotonic() + startup_timeout
        servers: list[RunningServer] = []
        for factory_path, process, parent_conn in children:
            if not parent_conn.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"the sandbox server {factory_path} did not start within {startup_timeout:.0f} s")
            bound = int(parent_conn.recv())
            servers.append(RunningServer(url=f"http://{LOOPBACK}:{bound}", port=bound, _stop=_stopper(process)))
    except BaseException:  # one did not start, or Ctrl-C while they were starting: none of them is left running
        for _, process, _ in children:
            process.kill()
        for _, process, _ in children:
            process.join()
        raise
    return servers


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """A Ctrl-C held back while a child process is spawned and recorded, then delivered as it would have
    been. The child inherits SIGINT blocked: a Ctrl-C before its ``_child`` ignores SIGINT would otherwise
    end it, with a KeyboardInterrupt traceback of its own while it is still importing. And the parent
    raises KeyboardInterrupt only once the child is on its list (to be stopped), not halfway through
    ``Process.start`` — which, when any other thread of the parent took the signal, the block alone would
    not prevent. Only the main thread has Python signal handlers: elsewhere only the block."""
    held: list[int] = []
    previous: Any = None
    main = threading.current_thread() is threading.main_thread()
    if main:
        previous = signal.signal(signal.SIGINT, lambda sig, frame: held.append(sig))
    try:
        # Process.start starts multiprocessing's resource tracker the first time, which unblocks SIGINT when
        # it is started (after blocking it for itself): so before the block
        resource_tracker.ensure_running()
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        yield
    finally:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # one sent meanwhile: to ``held``
        if main:
            # (signal.signal runs pending handlers first.) None: a handler set outside Python
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
            if held:
                signal.raise_signal(signal.SIGINT)  # as it would have been: KeyboardInterrupt, usually


def _stopper(process: Any) -> Callable[[], None]:
    def stop() -> None:
        process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()

    return stop
