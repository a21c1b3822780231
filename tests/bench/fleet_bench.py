"""`make bench`: the fleet's events per second against a sandbox with a fixed Amili latency.

One run, on loopback: a fresh tansu broker and sandbox, N cases registered directly (latency off),
then, with every Amili call delayed by `--latency-ms`:

1. ceiling: a bare async httpx loop sends the same GET /cases/{id} as the events would, at C, with
   one client of C connections (the fleet's shape), then again over clients of `--pool-size`;
2. fleet: the status requests are published as a backlog, then one `amili-fleet run
   lookup_case_status` process (in-flight cap and connection pool C) drains it; events per second
   from the first outcome's timestamp to the last one's;
3. latency: with that worker still running, more requests are published at `--latency-load` of the
   fleet's rate; end-to-end latency is the outcome record's Kafka timestamp minus the request's;
4. peak RSS of the worker (VmHWM), then the worker stops and the naive loop runs over a subset.

Progress goes to stderr; a table and, as the last stdout line, one JSON object go to stdout. The
broker, the sandbox, the worker and this process share the machine's cores, so every figure is a
figure for this machine, not for the fleet alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from sandbox.process import SandboxServer
from schemas.catalog import OUTCOMES_TOPIC, USE_CASES, dead_letter_topic
from tests.bench import baselines, prepare
from tests.bench.fleet import peak_rss_mb, start_worker
from tests.bench.kafka_io import OutcomeCollector, paced_publish, publish
from workers.demo.stack import Stack, demo_credentials
from workers.demo.traffic import Record
from workers.runtime.broker import LocalBroker
from workers.runtime.topics import ensure_topics

TOPIC = USE_CASES["lookup_case_status"].topic
NAIVE_TOPIC = "bench.naive-outcomes"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.fleet_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="status requests the fleet drains")
    parser.add_argument("--keys", type=int, default=2_000, help="cases (one key each)")
    parser.add_argument("--partitions", type=int, default=12)
    # 24, not the issue's example 64: httpcore 1.0's pool costs CPU growing with the square of its
    # size, and on this machine one client stops gaining above ~24 connections (see docs/runtime.md).
    parser.add_argument("--concurrency", type=int, default=24, help="C: in-flight cap = connections = lanes")
    parser.add_argument(
        "--pool-size", type=int, default=8, help="connections per client in the second, small-pools ceiling"
    )
    parser.add_argument("--latency-ms", type=float, default=50.0, help="fixed latency of every Amili call")
    parser.add_argument("--partition-buffer", type=int, default=500, help="WORKER_PARTITION_BUFFER")
    parser.add_argument("--naive-records", type=int, default=300, help="records the naive loop handles")
    parser.add_argument("--latency-load", type=float, default=0.5, help="share of the fleet's rate for p50/p99")
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="how long the paced phase lasts")
    parser.add_argument("--timeout", type=float, default=240.0, help="longest wait for one phase's outcomes")
    parser.add_argument("--quick", action="store_true", help="a small run for development (2,000 events)")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.keys, args.naive_records, args.latency_seconds = 2_000, 200, 40, 3.0
    if args.events < args.keys or args.events % args.keys:
        parser.error("--events: must be a multiple of --keys")
    return args


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def await_outcomes(collector: OutcomeCollector, published: dict[str, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_report = 0.0
    while (done := collector.count(published)) < len(published):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done}/{len(published)} outcomes after {timeout:.0f}s")
        if time.monotonic() - last_report >= 3:
            say(f"  {done}/{len(published)} outcomes")
            last_report = time.monotonic()
        time.sleep(0.2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    stack = Stack()
    creds = demo_credentials()
    try:
        say(f"starting the broker and the sandbox (logs in {stack.log_dir}) ...")
        stack.broker = LocalBroker(log_path=stack.log_dir / "broker.log").start()
        stack.sandbox = SandboxServer(log_path=stack.log_dir / "sandbox.log").start()
        base_url = stack.sandbox.base_url
        topics = {TOPIC: args.partitions, dead_letter_topic(TOPIC): 1, OUTCOMES_TOPIC: args.partitions}
        ensure_topics(stack.kafka, {**topics, NAIVE_TOPIC: args.partitions})

        say(f"registering {args.keys} invoices (latency off) ...")
        started = time.monotonic()
        cases = prepare.register_cases(base_url, creds, args.keys, concurrency=64)
        say(f"  done in {time.monotonic() - started:.1f}s")
        records = prepare.status_requests(cases, args.events // args.keys)
        token = prepare.access_token(base_url, creds)
        prepare.set_latency(base_url, args.latency_ms)

        say(f"ceiling: {len(records)} GETs at C={args.concurrency}, no Kafka ...")
        case_ids = [case.case_id for _ in range(args.events // args.keys) for case in cases]
        ceiling_eps, ceiling_failures = baselines.ceiling(base_url, token, case_ids, args.concurrency)
        say(f"  {ceiling_eps:.0f}/s ({ceiling_failures} answers not 200)")
        say(f"ceiling with pools of {args.pool_size} connections: a quarter of the same GETs ...")
        # A quarter of the GETs is enough for a rate, and keeps the whole run within ~4 minutes.
        sharded_eps, sharded_failures = baselines.ceiling(
            base_url, token, case_ids[: max(1, len(case_ids) // 4)], args.concurrency, pool_size=args.pool_size
        )
        ceiling_failures += sharded_failures
        say(f"  {sharded_eps:.0f}/s ({sharded_failures} answers not 200)")

        collector = OutcomeCollector(stack.kafka)
        fleet_eps, not_succeeded, pid = _drain_backlog(args, stack, collector, records)
        latencies, rate, failed = _paced_latency(args, stack, collector, cases, fleet_eps)
        not_succeeded += failed
        collector.stop()
        rss = peak_rss_mb(pid)
        stack.stop_fleet()

        say(f"naive: {args.naive_records} records one at a time ...")
        naive_eps = baselines.naive(stack.kafka, base_url, token, args.naive_records, NAIVE_TOPIC)
        say(f"  {naive_eps:.1f}/s")
    finally:
        stack.stop()
    return {
        "fleet_eps": round(fleet_eps, 1),
        "naive_eps": round(naive_eps, 2),
        "ceiling_eps": round(ceiling_eps, 1),
        "fleet_over_naive": round(fleet_eps / naive_eps, 1),
        "fleet_over_ceiling": round(fleet_eps / ceiling_eps, 3),
        "ceiling_small_pools_eps": round(sharded_eps, 1),
        "ceiling_pool_size": args.pool_size,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "peak_rss_mb": round(rss, 1),
        "concurrency": args.concurrency,
        "events": args.events,
        "keys": args.keys,
        "partitions": args.partitions,
        "latency_ms": args.latency_ms,
        "partition_buffer": args.partition_buffer,
        "naive_records": args.naive_records,
        "latency_phase_eps": round(rate, 1),
        "latency_phase_events": len(latencies),
        "not_succeeded": not_succeeded,
        "ceiling_failures": ceiling_failures,
        "cpu_cores": os.cpu_count(),
    }


def _drain_backlog(
    args: argparse.Namespace, stack: Stack, collector: OutcomeCollector, records: list[Record]
) -> tuple[float, int, int]:
    """Publish every request first, then start the worker: events per second from the first outcome
    to the last (the group join is not throughput), outcomes not succeeded, the worker's pid."""
    say(f"publishing the backlog of {len(records)} status requests to {args.partitions} partitions ...")
    backlog = publish(stack.kafka, records)
    collector.start()
    say("starting the worker and draining the backlog ...")
    pid = start_worker(stack, args.concurrency, args.partition_buffer)
    await_outcomes(collector, backlog, args.timeout)
    seen = collector.snapshot()
    stamps = [seen[event_id][0] for event_id in backlog]
    fleet_eps = (len(stamps) - 1) / max((max(stamps) - min(stamps)) / 1000, 1e-3)
    not_succeeded = sum(1 for event_id in backlog if seen[event_id][1] != "succeeded")
    say(f"  {fleet_eps:.0f}/s ({not_succeeded} outcomes not succeeded)")
    return fleet_eps, not_succeeded, pid


def _paced_latency(
    args: argparse.Namespace, stack: Stack, collector: OutcomeCollector, cases: list[prepare.Case], fleet_eps: float
) -> tuple[list[float], float, int]:
    """End-to-end latency below saturation: requests at a share of the fleet's rate, each measured
    from its own Kafka timestamp to its outcome's. Latencies (ms), the rate, outcomes not succeeded."""
    rate = max(1.0, args.latency_load * fleet_eps)
    count = max(1, int(rate * args.latency_seconds))
    say(f"latency: {count} requests at {rate:.0f}/s ({args.latency_load:.0%} of the fleet's rate) ...")
    requests = prepare.status_requests(cases, -(-count // len(cases)))[:count]
    paced = paced_publish(stack.kafka, requests, rate)
    await_outcomes(collector, paced, args.timeout)
    seen = collector.snapshot()
    latencies = [float(seen[event_id][0] - stamp) for event_id, stamp in paced.items()]
    failed = sum(1 for event_id in paced if seen[event_id][1] != "succeeded")
    return latencies, rate, failed


def table(result: dict[str, Any]) -> str:
    rows = [
        ("fleet (1 worker process)", f"{result['fleet_eps']:.0f} events/s"),
        ("ceiling (bare async httpx)", f"{result['ceiling_eps']:.0f} requests/s"),
        (
            f"ceiling, pools of {result['ceiling_pool_size']}",
            f"{result['ceiling_small_pools_eps']:.0f} requests/s",
        ),
        ("naive (one record at a time)", f"{result['naive_eps']:.1f} events/s"),
        ("fleet / ceiling", f"{result['fleet_over_ceiling']:.2f}  (aim >= 0.8)"),
        ("fleet / naive", f"{result['fleet_over_naive']:.0f}x  (aim >= 50)"),
        (
            f"end-to-end at {result['latency_phase_eps']:.0f}/s",
            f"p50 {result['p50_ms']:.0f} ms · p99 {result['p99_ms']:.0f} ms",
        ),
        ("worker peak RSS", f"{result['peak_rss_mb']:.0f} MiB"),
    ]
    head = (
        f"{result['events']} events over {result['keys']} keys, {result['partitions']} partitions, "
        f"C={result['concurrency']}, Amili latency {result['latency_ms']:.0f} ms, {result['cpu_cores']} cores shared"
    )
    width = max(len(name) for name, _ in rows)
    return "\n".join([head, *(f"  {name:<{width}}  {value}" for name, value in rows)])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    print(table(result))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
