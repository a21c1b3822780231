"""`amili-fleet topics plan|apply`: provision every topic the fleet uses, from the settings.

    amili-fleet topics plan [--exit-code] [NAME...]        what apply would change (--exit-code: exit 2 if any)
    amili-fleet topics apply [--add-partitions] [NAME...]  create and alter (and extend, when asked)
    amili-fleet topics list [NAME...]                      the topics as configured, without asking the cluster
    (before the action: --timeout S, seconds to wait for the cluster)

The topics are derived from the streams (WORKER_STREAMS, WORKER_TOPIC_PREFIX), the registered use cases and
pollers, and the runtime's state topics; NAME (a stream or a poller, as for `run`) limits them to what those
run, as the chart's Job does for the entries it deploys, else every stream and poller counts; how they are
created comes from `TOPICS_*` (workers/runtime/topics.py).
Kafka is reached with the `KAFKA_*` settings, so the same SASL/TLS settings as the workers apply; the
principal needs Describe, DescribeConfigs, Create and AlterConfigs on these topics (and Alter to extend).
Exit codes: 0 done (or nothing to do), 1 the cluster refused or could not be reached, 2 bad settings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.polling import registered_pollers
from workers.runtime.provisioning import ProvisioningError, TopicAdmin, apply, plan
from workers.runtime.registry import UseCaseError, discover
from workers.runtime.routes import build_routes
from workers.runtime.settings import WorkerSettings
from workers.runtime.topics import TopicSettings, TopicSpec, desired_topics


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the cluster (default 30)")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    plan_parser = sub.add_parser("plan", help="show what apply would create or change")
    plan_parser.add_argument("--exit-code", action="store_true", help="exit 2 when there is something to do")
    apply_parser = sub.add_parser("apply", help="create missing topics and set differing configs")
    apply_parser.add_argument(
        "--add-partitions", action="store_true", help="also add partitions where fewer exist than configured"
    )
    list_parser = sub.add_parser("list", help="the topics as configured (no cluster needed)")
    for command in (plan_parser, apply_parser, list_parser):
        command.add_argument("names", nargs="*", metavar="NAME", help="streams or pollers (default: all)")


def configured_topics(worker: WorkerSettings, topics: TopicSettings, names: Sequence[str] = ()) -> list[TopicSpec]:
    """The topics of the named streams and pollers (all of them when none is named), whoever runs them."""
    routes = build_routes(discover(worker.use_case_modules), worker)
    pollers = registered_pollers()
    if names:
        unknown = [n for n in names if n not in routes and n not in pollers]
        if unknown:
            known = ", ".join(sorted([*routes, *pollers]))
            raise UseCaseError(f"unknown stream or poller {', '.join(map(repr, unknown))} (known: {known})")
        routes = {n: r for n, r in routes.items() if n in names}
        pollers = {n: p for n, p in pollers.items() if n in names}
    return desired_topics(routes.values(), [p.publishes for p in pollers.values()], topics)


def run(args: argparse.Namespace) -> int:
    try:
        worker, kafka, settings = WorkerSettings(), KafkaSettings(), TopicSettings()
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(p) for p in error["loc"]) or exc.title
            print(f"error: setting {exc.title}.{where}: {error['msg']}", file=sys.stderr)
        return 2
    try:
        specs = configured_topics(worker, settings, args.names)
    except UseCaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.action == "list":
        for spec in specs:
            print(f"{spec.name}\t{spec.role}\t{spec.describe()}")
        return 0
    try:
        with TopicAdmin(kafka, args.timeout) as admin:
            current = plan(specs, admin)
            if args.action == "plan":
                print(current.render())
                return 2 if args.exit_code and current.changes else 0
            result = apply(current, admin, add_partitions=args.add_partitions)
            after = plan(specs, admin)
    except ProvisioningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in result.done:
        print(line)
    for name, why in result.skipped.items():
        print(f"skipped: {name}: {why}")
    for line in result.errors:
        print(f"error: {line}", file=sys.stderr)
    # A topic whose only difference is the partitions it was not asked to extend is done.
    left = [t for t in after.changes if not (t.exists and not t.configs and t.spec.name in result.skipped)]
    warnings = [w for t in after.topics for w in t.lines() if w.startswith("warning")] + after.notes
    for line in warnings:
        print(line)
    if result.errors or left:
        for topic in left:
            for line in topic.lines():
                print(f"still to do: {line}", file=sys.stderr)
        return 1
    print(f"done: {len(specs)} topics as configured" + (" (partitions left as they are)" if result.skipped else ""))
    return 0
