"""`amili-fleet run USE_CASE... | --all`: run one or several use cases in this process until SIGTERM.

A name is a consuming use case (`@use_case`) or a poller (`@poller`, workers.runtime.polling); both
kinds can share a process, its Amili client, its producer and its health port.

Settings come from the environment (`KAFKA_*`, `AMILI_*`, `WORKER_*`, `DOCUMENT_FETCH_*`, see
docs/runtime.md), are loaded once here and passed down. A bad setting or an unknown use case stops the
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
from workers.runtime.registry import UseCase, UseCaseError, discover, select
from workers.runtime.settings import WorkerSettings

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("use_cases", nargs="*", metavar="USE_CASE", help="use cases to run (see --list)")
    parser.add_argument("--all", action="store_true", help="run every registered use case")
    parser.add_argument("--list", action="store_true", help="list the registered use cases and exit")


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
        registry = discover(worker.use_case_modules)
        pollers = registered_pollers()
        if args.list:
            for name, uc in sorted(registry.items()):
                print(f"{name}\tconsumes {uc.consumes}")
            for name, spec in sorted(pollers.items()):
                print(f"{name}\tpolls Amili every {spec.every_seconds:.0f}s, publishes {spec.publishes}")
            return 0
        use_cases, chosen_pollers = choose(args.use_cases, all_=args.all, pollers=pollers)
    except UseCaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(use_cases, worker, kafka, chosen_pollers))
    except ValidationError as exc:  # AmiliSettings, read only when a use case needs Amili
        return _settings_error(exc)


def choose(names: Sequence[str], *, all_: bool, pollers: dict[str, Poller]) -> tuple[list[UseCase], list[Poller]]:
    """Split the requested names into consumer use cases and pollers; an unknown name is an error."""
    if all_:
        return select([], all_=True), [pollers[n] for n in sorted(pollers)]
    consumers = [n for n in names if n not in pollers]
    chosen_pollers = [pollers[n] for n in names if n in pollers]
    try:
        use_cases = select(consumers) if consumers or not chosen_pollers else []
    except UseCaseError as exc:
        if pollers:
            raise UseCaseError(f"{exc}; pollers: {', '.join(sorted(pollers))}") from None
        raise
    return use_cases, chosen_pollers


async def serve(
    use_cases: Sequence[UseCase], worker: WorkerSettings, kafka: KafkaSettings, pollers: Sequence[Poller] = ()
) -> int:
    """Run the engine until SIGTERM or SIGINT, then drain within WORKER_DRAIN_SECONDS."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    metrics = Metrics()
    if not pollers and all(uc.options.client == "none" for uc in use_cases):
        return await Engine(use_cases, worker=worker, kafka=kafka, metrics=metrics).run(stop)
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
            use_cases, worker=worker, kafka=kafka, amili=amili, documents=documents, metrics=metrics, pollers=pollers
        )
        return await engine.run(stop)


def _settings_error(exc: ValidationError) -> int:
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in error["loc"]) or exc.title
        print(f"error: setting {exc.title}.{field}: {error['msg']}", file=sys.stderr)
    return 2
