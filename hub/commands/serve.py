"""Serve the hub API (and the dashboard, when built) with uvicorn.

The ledger and the registry come from the MPPHUB_* settings. Create a token first:
`mpphub token create --name me --role coordinator`. The first line printed is the URL (with the real
port when --port 0 lets the system pick one).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8780, help="port (default: 8780; 0: any free port)")
    parser.add_argument(
        "--stall-minutes",
        type=float,
        default=15.0,
        metavar="M",
        help="a region without a successful run for M minutes is stalled (default 15)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    import socket
    import sys

    import uvicorn

    from hub.api.app import create_app
    from hub.commands._ledger import clock_of, open_ledger
    from hub.health.national import national_backlog
    from hub.settings import Settings

    settings = Settings.from_env()
    refused = settings.production_problems()
    if refused:
        for problem in refused:
            print(f"mpphub serve: {problem}", file=sys.stderr)
        return 2
    ledger = open_ledger(settings, clock_of(args))
    app = create_app(
        ledger,
        settings.registry,
        stall_minutes=args.stall_minutes,
        failing_share=settings.failing_share,
        national=national_backlog(settings),
    )
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
        sock.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    except OSError as exc:
        print(f"mpphub serve: cannot listen on {args.host}:{args.port}: {exc.strerror}")
        sock.close()
        ledger.close()
        return 2
    port = sock.getsockname()[1]
    print(f"mpp-hub API on http://{args.host}:{port}/ (OpenAPI: /openapi.json)", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then re-raises the signal it captured
        print("stopped")
    finally:
        sock.close()
        ledger.close()
    return 0
