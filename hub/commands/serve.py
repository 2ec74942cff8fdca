"""Serve the hub API (and the dashboard, when built) with uvicorn.

The ledger and the registry come from the MPPHUB_* settings. Create a token first:
`mpphub token create --name me --role coordinator`.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8780, help="port (default: 8780; 0 picks a free one)")
    parser.add_argument(
        "--stall-minutes",
        type=float,
        default=15.0,
        metavar="M",
        help="a region without a successful run for M minutes is stalled",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    import uvicorn

    from hub.api.app import create_app
    from hub.commands._ledger import open_ledger
    from hub.settings import Settings

    settings = Settings.from_env()
    ledger = open_ledger(settings)
    app = create_app(ledger, settings.registry, stall_minutes=args.stall_minutes)
    print(f"mpp-hub API on http://{args.host}:{args.port}/ (OpenAPI: /openapi.json)", flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    finally:
        ledger.close()
    return 0
