"""Every Prometheus metric of a worker, in one container on its own registry (seconds, Prometheus names).

Labels carry use-case names, outcome statuses, error classes, topics, partitions, field names and
endpoint templates (`/cases/{id}`), never an id, key, value or anything personal.

`precreate` makes every labelled series a worker can know in advance (each use case and stream with
each outcome and known error class, each poller) exist at 0 from the start: `increase()` over a series
that appears only with its first sample reads 0, so the first dead letter after a restart would
otherwise never alert.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
#: Terminal outcomes of a record (`amili_fleet_events_finished_total{outcome}`).
OUTCOMES = ("succeeded", "rejected", "dead_lettered", "duplicate")
#: The error classes the runtime names (workers.amili.errors, the contract, a refused publish).
ERROR_CLASSES = (
    "ContractError",
    "TransientError",
    "RateLimited",
    "AuthError",
    "AccessDenied",
    "EndpointError",
)
#: Transient retries come from these classes only.
RETRIED_CLASSES = ("TransientError", "RateLimited", "AuthError")
#: Why a send to the broker failed, the usual ones (others appear when they happen).
PUBLISH_ERROR_CLASSES = ("KafkaTimeoutError", "MessageSizeTooLargeError", "TopicAuthorizationFailedError")


class Metrics:
    """The worker's metrics; a fresh registry per instance so tests never share state."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events_received = Counter(
            "amili_fleet_events_received_total", "Records handed to the engine", ["use_case"], registry=r
        )
        self.events_finished = Counter(
            "amili_fleet_events_finished_total",
            "Records finished, by terminal outcome (succeeded, rejected, dead_lettered, duplicate)",
            ["use_case", "outcome"],
            registry=r,
        )
        self.handler_duration = Histogram(
            "amili_fleet_handler_duration_seconds",
            "Time from a record's first attempt to its outcome",
            ["use_case"],
            buckets=_HANDLER_BUCKETS,
            registry=r,
        )
        self.amili_request_duration = Histogram(
            "amili_fleet_amili_request_duration_seconds",
            "Amili API request duration by endpoint template and HTTP status",
            ["endpoint", "method", "status"],
            buckets=_HTTP_BUCKETS,
            registry=r,
        )
        self.retries = Counter(
            "amili_fleet_retries_total",
            "Attempts that failed and will be retried",
            ["use_case", "error_class"],
            registry=r,
        )
        self.dead_letters = Counter(
            "amili_fleet_dead_letters_total",
            "Records sent to a dead-letter topic",
            ["use_case", "error_class"],
            registry=r,
        )
        self.case_waits = Counter(
            "amili_fleet_case_waits_total",
            "Follow-ups that found no case at Amili and waited for it: started, found, gave_up",
            ["use_case", "event"],
            registry=r,
        )
        self.awaiting_case = Gauge(
            "amili_fleet_awaiting_case", "Records waiting now for their case to appear", ["use_case"], registry=r
        )
        self.publish_failures = Counter(
            "amili_fleet_publish_failures_total",
            "Outcome, dead-letter or fact sends the broker did not acknowledge",
            ["error_class"],
            registry=r,
        )
        self.in_flight = Gauge("amili_fleet_in_flight", "Records being attempted against Amili now", registry=r)
        self.pending = Gauge(
            "amili_fleet_pending_records", "Records queued or running in the engine", ["use_case"], registry=r
        )
        self.paused_partitions = Gauge(
            "amili_fleet_paused_partitions",
            "Partitions paused (buffer full or breaker open)",
            ["use_case"],
            registry=r,
        )
        self.assigned_partitions = Gauge(
            "amili_fleet_assigned_partitions", "Partitions assigned to this worker", ["use_case"], registry=r
        )
        self.consumer_lag = Gauge(
            "amili_fleet_consumer_lag_records",
            "Records not finished yet, per assigned partition: highwater minus the lowest unfinished offset",
            ["use_case", "topic", "partition"],
            registry=r,
        )
        self.circuit_state = Gauge(
            "amili_fleet_circuit_state", "Circuit breaker state: 0 closed, 1 open, 2 half-open", registry=r
        )
        self.commits = Counter(
            "amili_fleet_offset_commits_total", "Offset commits by result", ["use_case", "result"], registry=r
        )
        self.poller_runs = Counter(
            "amili_fleet_poller_runs_total", "Poller runs by result", ["poller", "result"], registry=r
        )
        self.poller_facts = Counter("amili_fleet_poller_facts_total", "Facts published", ["poller"], registry=r)
        self.poller_duration = Histogram(
            "amili_fleet_poller_run_duration_seconds",
            "Poller run duration",
            ["poller"],
            buckets=_HANDLER_BUCKETS,
            registry=r,
        )
        self.poll_last_success = Gauge(
            "amili_fleet_poll_last_success_timestamp_seconds",
            "Unix time of the poller's last successful run (the process start until its first one)",
            ["poller"],
            registry=r,
        )
        self.unknown_values = Counter(
            "amili_fleet_unknown_values_total",
            "Values Amili sent that the fleet does not know (published as sent, or as `other`), by field name",
            ["use_case", "field"],
            registry=r,
        )
        self.stuck_partitions = Gauge(
            "amili_fleet_stuck_partitions",
            "Partitions whose next record cannot be finished: the broker refuses its dead letter or outcome",
            ["use_case"],
            registry=r,
        )
        self.rebalances = Counter(
            "amili_fleet_rebalance_events_total",
            "Partitions assigned, revoked or lost",
            ["use_case", "event"],
            registry=r,
        )

    def precreate(
        self,
        use_cases: Iterable[str],
        streams: Iterable[str],
        pollers: Iterable[str],
        watched: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Every known series at 0 (see the module docstring); `streams` label records no use case took.

        `watched` are the (poller, field) pairs whose unknown values are counted.
        """
        streams = list(streams)
        for name in [*use_cases, *streams]:
            for outcome in OUTCOMES:
                self.events_finished.labels(name, outcome)
            for error in ERROR_CLASSES:
                self.dead_letters.labels(name, error)
            for error in RETRIED_CLASSES:
                self.retries.labels(name, error)
        for stream in streams:
            self.events_received.labels(stream)
            self.stuck_partitions.labels(stream).set(0)
            self.assigned_partitions.labels(stream).set(0)
            self.paused_partitions.labels(stream).set(0)
            for event in ("assigned", "revoked", "lost"):
                self.rebalances.labels(stream, event)
            for result in ("ok", "failed"):
                self.commits.labels(stream, result)
        for error in PUBLISH_ERROR_CLASSES:
            self.publish_failures.labels(error)
        for poller in pollers:
            for result in ("succeeded", "failed"):
                self.poller_runs.labels(poller, result)
            self.poller_facts.labels(poller)
            # Not 0: a poller of a fresh process is as stale as its process is old, no more.
            self.poll_last_success.labels(poller).set_to_current_time()
        for poller, field_name in watched:
            self.unknown_values.labels(poller, field_name)

    def observe_poll(self, poller: str, result: str, facts: int, seconds: float) -> None:
        """A poller run ended (`result` succeeded or failed) after publishing `facts` facts."""
        self.poller_runs.labels(poller, result).inc()
        self.poller_facts.labels(poller).inc(facts)
        self.poller_duration.labels(poller).observe(seconds)
        if result == "succeeded":
            self.poll_last_success.labels(poller).set_to_current_time()

    def publish_failed(self, exc: BaseException) -> None:
        """A send to the broker failed (an outcome, a dead letter or a fact)."""
        self.publish_failures.labels(type(exc).__name__).inc()

    def unknown_value(self, use_case: str, field: str) -> None:
        """Amili sent a value of `field` the fleet does not know (the label is the field's name, never the value)."""
        self.unknown_values.labels(use_case, field).inc()

    def observe_amili(self, endpoint: str, method: str, status: int | None, seconds: float) -> None:
        """The Amili client's `on_response` hook lands here (status None: no response at all)."""
        labels = {"endpoint": endpoint, "method": method, "status": str(status or "none")}
        self.amili_request_duration.labels(**labels).observe(seconds)
