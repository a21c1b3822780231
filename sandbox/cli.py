"""`amili-fleet sandbox [--port N] [--seed FILE]`: run the Amili sandbox on loopback.

The sandbox has no authentication on `/_sandbox/*` and holds demo keys: it binds 127.0.0.1 by
default and must never be exposed publicly.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging

from sandbox.reading import DEFAULT_TOKEN_TTL_SECONDS

DEFAULT_PORT = 8765


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; keep it local)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT}; 0 = any)")
    parser.add_argument("--seed", default=None, help="seed JSON file (default: the bundled demo seed)")
    parser.add_argument("--token-ttl", type=float, default=DEFAULT_TOKEN_TTL_SECONDS, help="access token lifetime, s")
    parser.add_argument("--rng-seed", type=int, default=0, help="seed for ids and case outcomes")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (access log is off)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from sandbox.app import create_app

    app = create_app(args.seed, token_ttl=args.token_ttl, rng_seed=args.rng_seed)
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    logging.getLogger("sandbox").info("sandbox on http://%s:%s (%s)", args.host, args.port, http)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        http=http,
        access_log=False,
        log_level=args.log_level,
        timeout_graceful_shutdown=2,
        lifespan="off",
    )
    return 0
