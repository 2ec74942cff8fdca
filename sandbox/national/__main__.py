"""Run the sandbox national layer on loopback, optionally with citizens applying at a steady rate.

    python -m sandbox.national --db national.db --port 8700 --citizens-rate 2

The catalogue is seeded from the registry (``--registry``, default the repository's ``registry/``).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence

from sandbox.national.app import create_app
from sandbox.national.citizens import REGISTRY, CitizenSimulator
from sandbox.serve import serve_in_thread


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted (or until ``--duration`` seconds of citizens have passed)."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.national", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="national.db", help="SQLite file (created when absent; kept across runs)")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--token", default="sandbox-national-token", help="the bearer token the hub must send")
    parser.add_argument(
        "--registry", default=str(REGISTRY), help="registry whose published versions seed the catalogue"
    )
    parser.add_argument("--citizens-rate", type=float, default=0.0, help="citizens' applications per second (0: none)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--seed", type=int, default=0, help="seed of the citizen simulator")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = serve_in_thread(create_app(args.db, token=args.token, registry_dir=args.registry), port=args.port)
    print(f"sandbox national layer on {server.url} (database {args.db}); Ctrl-C stops it")
    try:
        if args.citizens_rate > 0:
            simulator = CitizenSimulator.to_url(server.url, registry_dir=args.registry, seed=args.seed)
            sent = simulator.run(args.citizens_rate, duration=args.duration)
            print(f"{sent} citizens' applications submitted")
        else:
            deadline = time.monotonic() + (args.duration or float("inf"))
            while time.monotonic() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
