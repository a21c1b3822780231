"""`amili-fleet demo`: the fleet's main job on this machine, from nothing to a readable summary.

It starts a local broker, the Amili sandbox and the fleet (`amili-fleet run --all`) on loopback,
publishes realistic traffic (every claim on the claim stream, each registration followed at once by
its payments, credits, cancellations, respites, documents and look-ups, with duplicates and malformed
records; users and a partner onboarding on their own topics), moves the
sandbox clock so cases travel through reminder and debt collection to closure, lets the pollers
report closed cases, payouts and revenue, and prints what happened. It exits 0 only when every
record reached a terminal state and Amili holds no duplicate; it stops everything it started.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from schemas.catalog import CLAIMS_TOPIC
from workers.demo.scenario import Planned, claim_stream, onboarding
from workers.demo.stack import Stack, demo_credentials
from workers.demo.summary import render_summary, summarize
from workers.demo.tracker import Published, Tracker
from workers.demo.traffic import Traffic
from workers.runtime.awaiting import WAIT_EVENTS
from workers.runtime.records import OutgoingRecord, publish_all


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--invoices", type=int, default=300, help="invoices to register (default 300)")
    parser.add_argument("--claims", type=int, default=120, help="claims handed over for collection (default 120)")
    parser.add_argument("--months", type=int, default=6, help="months the sandbox clock moves on (default 6)")
    parser.add_argument("--seed", type=int, default=7, help="traffic seed (default 7)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a phase may take (default 300)")
    parser.add_argument("--keep-running", action="store_true", help="leave everything up until Ctrl-C")


def say(message: str) -> None:
    print(message, flush=True)


def run(args: argparse.Namespace) -> int:
    stack = Stack()
    try:
        say("[1/6] starting the local broker, the Amili sandbox and the fleet ...")
        stack.start_infrastructure()
        stack.start_fleet()
        assert stack.broker is not None
        assert stack.sandbox is not None
        say(f"      broker {stack.broker.bootstrap} · sandbox {stack.sandbox.base_url} · logs {stack.log_dir}")
        tracker = Tracker(stack.kafka).start()
        ok = _drive(args, stack, tracker)
        tracker.stop()
        if args.keep_running:
            _wait_for_ctrl_c(stack)
        return 0 if ok else 1
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        stack.stop()
        say("stopped everything the demo started")


def _drive(args: argparse.Namespace, stack: Stack, tracker: Tracker) -> bool:
    started = time.monotonic()
    creds = demo_credentials()
    traffic = Traffic(creds.creditors, seed=args.seed)
    published: list[Published] = []

    claims = claim_stream(traffic, args.invoices, args.claims)
    others = onboarding(traffic, creds.account_id)
    say(
        f"[2/6] publishing {len(claims)} records on {CLAIMS_TOPIC}: {args.invoices} invoices and {args.claims} "
        "claims, each followed at once by what happens to it (payments, credits, cancellations, respites, "
        "documents, look-ups), plus duplicates and malformed records; and "
        f"{len(others)} users, partner onboarding and refusals on their own topics ..."
    )
    published += _publish(stack, claims + others)
    say("[3/6] waiting until every record has an outcome or a dead letter ...")
    if not _await_terminal(tracker, published, args.timeout):
        return False

    say(f"[4/6] moving the sandbox clock {args.months} months: reminders, debt collection, closures, payouts ...")
    assert stack.sandbox is not None
    with httpx.Client(base_url=stack.sandbox.base_url, timeout=30) as control:
        for month in range(args.months):
            control.post("/_sandbox/clock/advance", json={"days": 30}).raise_for_status()
            say(f"      month {month + 1}/{args.months} done")
            time.sleep(stack.poll_interval)
        say("[5/6] waiting for the pollers to report closed cases, payouts and revenue ...")
        _await_stable(lambda: sum(tracker.snapshot().facts.values()), stack.poll_interval * 4, args.timeout)
        ledger = control.get("/_sandbox/ledger").json()
    say("[6/6] summary")
    report = summarize(published, tracker.snapshot(), ledger)
    report.case_waits = {e: stack.metric("amili_fleet_case_waits_total", event=e) for e in WAIT_EVENTS}
    say(render_summary(report, stack))
    say(f"the demo took {time.monotonic() - started:.0f}s")
    return report.all_terminal and not report.amili_duplicates


def _publish(stack: Stack, planned: list[Planned]) -> list[Published]:
    records = [OutgoingRecord(p.record.topic, p.record.key or None, p.record.value, p.record.headers) for p in planned]
    delivered = publish_all(stack.kafka, records)
    return [
        Published(p.record.use_case, p.record.event_id, d.topic, d.partition, d.offset, p.kind)
        for p, d in zip(planned, delivered, strict=True)
    ]


def _await_terminal(tracker: Tracker, published: list[Published], timeout: float) -> bool:
    """Show progress until every published record has an outcome or a dead letter."""
    deadline = time.monotonic() + timeout
    while True:
        pending = tracker.pending(published)
        tally = tracker.snapshot()
        statuses = [s for states in tally.by_cause.values() for s in states]
        done = len(published) - len(pending)
        say(
            f"      {done}/{len(published)} terminal · succeeded {statuses.count('succeeded')} · "
            f"rejected {statuses.count('rejected')} · dead-lettered {len(tally.dead_letters)}"
        )
        if not pending:
            return True
        if time.monotonic() > deadline:
            say(f"error: {len(pending)} records have no terminal state after {timeout:.0f}s, e.g. {pending[:3]}")
            return False
        time.sleep(2)


def _await_stable(read: Callable[[], Any], quiet: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def _wait_for_ctrl_c(stack: Stack) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    assert stack.broker is not None
    say(
        f"\nstill running (Ctrl-C stops it): KAFKA_BOOTSTRAP_SERVERS={stack.broker.bootstrap} · "
        f"metrics {', '.join(stack.metrics_urls())}"
    )
    stop.wait()
    print("", file=sys.stderr)
