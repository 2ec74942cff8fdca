"""Run an ASGI app with uvicorn on a loopback port: in a thread (tests) or in its own process (demo,
benchmarks, crash drills — so that the sandbox never competes with the hub for one interpreter's GIL)."""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.connection
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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


def _child(factory_path: str, kwargs: dict[str, Any], port: int, conn: multiprocessing.connection.Connection) -> None:
    module_name, _, attr = factory_path.partition(":")
    app = getattr(importlib.import_module(module_name), attr)(**kwargs)
    server = uvicorn.Server(_config(app, port))

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
    ctx = multiprocessing.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(factory_path, kwargs or {}, port, child_conn), daemon=True)
    process.start()
    if not parent_conn.poll(startup_timeout):
        process.kill()
        raise RuntimeError(f"the sandbox server {factory_path} did not start within {startup_timeout:.0f} s")
    bound = int(parent_conn.recv())

    def stop() -> None:
        process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()

    return RunningServer(url=f"http://{LOOPBACK}:{bound}", port=bound, _stop=stop)
