"""`amili-fleet run NAME... | --all`: run one or several streams and pollers in this process until SIGTERM.

A name is a stream (workers.runtime.routes: a use case's own topic, named after the use case, or a
multi-type stream such as `claims`) or a poller (`@poller`, workers.runtime.polling); both kinds can
share a process, its Amili client, its producer and its health port. `--all` runs every stream and
every poller; `--list` shows what each stream consumes and carries.

Settings come from the environment (`KAFKA_*`, `AMILI_*`, `WORKER_*`, `DOCUMENT_FETCH_*`, see
docs/runtime.md), are loaded once here and passed down. A bad setting or an unknown stream stops the
start with exit code 2 and a message naming the field.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import io
import logging
import signal
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from workers.runtime import logs
from workers.runtime.engine import Engine
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.metrics import Metrics
from workers.runtime.polling import Poller, registered_pollers
from workers.runtime.registry import UseCaseError, discover
from workers.runtime.routes import Route, build_routes, select_routes
from workers.runtime.settings import WorkerSettings

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="streams or pollers to run (see --list)")
    parser.add_argument("--all", action="store_true", help="run every stream and every poller")
    parser.add_argument("--list", action="store_true", help="list the streams and pollers and exit")


def run(args: argparse.Namespace) -> int:
    try:
        worker = WorkerSettings()
        kafka = KafkaSettings()
    except ValidationError as exc:
        return _settings_error(exc)
    logs.configure(worker.log_level, worker.log_format)
    # `kill -USR1 <pid>` prints every thread's stack to stderr: the first question about a stuck worker.
    with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation):  # stderr without a fileno
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        routes = build_routes(discover(worker.use_case_modules), worker)
        pollers = registered_pollers()
        if args.list:
            for route in routes.values():
                print(route.describe())
            for name, spec in sorted(pollers.items()):
                print(f"{name}\tpolls Amili every {spec.every_seconds:.0f}s, publishes {spec.publishes}")
            return 0
        streams, chosen_pollers = choose(args.names, all_=args.all, routes=routes, pollers=pollers)
    except UseCaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(streams, worker, kafka, chosen_pollers))
    except ValidationError as exc:  # AmiliSettings, read only when a use case needs Amili
        return _settings_error(exc)


def choose(
    names: Sequence[str], *, all_: bool, routes: dict[str, Route], pollers: dict[str, Poller]
) -> tuple[list[Route], list[Poller]]:
    """Split the requested names into streams and pollers; an unknown name is an error listing both."""
    if all_:
        return list(routes.values()), [pollers[n] for n in sorted(pollers)]
    if not names:
        raise UseCaseError("name at least one stream or poller, or pass --all")
    try:
        streams = select_routes(routes, [n for n in names if n not in pollers])
    except UseCaseError as exc:
        raise UseCaseError(f"{exc}; pollers: {', '.join(sorted(pollers)) or 'none'}") from None
    return streams, [pollers[n] for n in names if n in pollers]


async def serve(
    streams: Sequence[Route], worker: WorkerSettings, kafka: KafkaSettings, pollers: Sequence[Poller] = ()
) -> int:
    """Run the engine until SIGTERM or SIGINT, then drain within WORKER_DRAIN_SECONDS."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    metrics = Metrics()
    if not pollers and all(uc.options.client == "none" for route in streams for uc in route.use_cases):
        return await Engine(streams, worker=worker, kafka=kafka, metrics=metrics).run(stop)
    from workers.amili.client import AmiliClient
    from workers.amili.settings import AmiliSettings
    from workers.runtime.claim_check import DocumentFetcher, DocumentFetchSettings

    amili_settings = AmiliSettings()
    fetch_settings = DocumentFetchSettings()
    if worker.max_in_flight > amili_settings.max_connections:
        # Records beyond the pool wait for a connection and fail with a pool timeout: a misconfiguration.
        log.warning(
            "WORKER_MAX_IN_FLIGHT (%d) exceeds AMILI_MAX_CONNECTIONS (%d); raise the pool or lower the cap",
            worker.max_in_flight,
            amili_settings.max_connections,
        )
    async with (
        AmiliClient.from_settings(amili_settings, on_response=metrics.observe_amili) as amili,
        DocumentFetcher(fetch_settings) as documents,
    ):
        engine = Engine(
            streams, worker=worker, kafka=kafka, amili=amili, documents=documents, metrics=metrics, pollers=pollers
        )
        return await engine.run(stop)


def _settings_error(exc: ValidationError) -> int:
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in error["loc"]) or exc.title
        print(f"error: setting {exc.title}.{field}: {error['msg']}", file=sys.stderr)
    return 2
