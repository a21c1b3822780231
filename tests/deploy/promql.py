"""What a PromQL expression uses (metric names, label names), checked against the metrics the code defines.

Expressions are parsed with promql-parser (Prometheus' grammar); the metric catalogue comes from
`workers.runtime.metrics.Metrics`, expanded the way the Prometheus exposition format expands it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import promql_parser
from prometheus_client.metrics import MetricWrapperBase

from workers.runtime.metrics import Metrics

#: Labels the scrape adds to every series (Prometheus Operator's ServiceMonitor relabelling).
TARGET_LABELS = frozenset({"namespace", "pod", "job", "instance", "service", "container", "endpoint"})

#: Metrics from elsewhere that alerts may use, with their labels: kube-state-metrics' pod readiness.
EXTERNAL_METRICS: dict[str, frozenset[str]] = {
    "kube_pod_status_ready": frozenset({"namespace", "pod", "uid", "condition"}),
}


def code_metrics() -> dict[str, frozenset[str]]:
    """Every series name `Metrics` exposes, with its label names (histogram buckets add `le`)."""
    metrics = Metrics()
    exposed: dict[str, frozenset[str]] = {}
    for collector in vars(metrics).values():
        if not isinstance(collector, MetricWrapperBase):
            continue
        name, kind, labels = collector._name, collector._type, frozenset(collector._labelnames)
        if kind == "counter":
            exposed[f"{name}_total"] = labels
            exposed[f"{name}_created"] = labels
        elif kind == "histogram":
            exposed[f"{name}_bucket"] = labels | {"le"}
            for suffix in ("_count", "_sum", "_created"):
                exposed[f"{name}{suffix}"] = labels
        else:
            exposed[name] = labels
    return exposed


def known_metrics() -> dict[str, frozenset[str]]:
    return {**EXTERNAL_METRICS, **code_metrics()}


@dataclass
class Usage:
    """Selectors in an expression (metric -> label names matched) and grouping clauses (labels, metrics below)."""

    selectors: list[tuple[str, set[str]]] = field(default_factory=list)
    groupings: list[tuple[set[str], set[str]]] = field(default_factory=list)


def usage(expr: str) -> Usage:
    """Parse `expr` (raises ValueError on a syntax error) and collect what it selects and groups by."""
    found = Usage()
    _walk(promql_parser.parse(expr), found)
    return found


def _walk(node: object, found: Usage) -> set[str]:
    """Visit `node`; return the metric names selected beneath it."""
    if isinstance(node, promql_parser.VectorSelector):
        names = {m.name for m in node.matchers.matchers if m.name != "__name__"}
        found.selectors.append((node.name or "", names))
        return {node.name or ""}
    if isinstance(node, promql_parser.MatrixSelector):
        return _walk(node.vector_selector, found)
    if isinstance(node, promql_parser.AggregateExpr):
        below = _walk(node.expr, found)
        if node.param is not None:
            _walk(node.param, found)
        if node.modifier is not None:
            found.groupings.append((set(node.modifier.labels), below))
        return below
    if isinstance(node, promql_parser.BinaryExpr):
        below = _walk(node.lhs, found) | _walk(node.rhs, found)
        matching = node.modifier.matching if node.modifier is not None else None
        if matching is not None:
            found.groupings.append((set(matching.labels), below))
        return below
    if isinstance(node, promql_parser.Call):
        return set().union(*(_walk(arg, found) for arg in node.args)) if node.args else set()
    if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr | promql_parser.SubqueryExpr):
        return _walk(node.expr, found)
    return set()  # number and string literals


def problems(expr: str) -> list[str]:
    """Unknown metric names and labels a metric does not carry; empty when the expression is sound."""
    known = known_metrics()
    found = usage(expr)
    errors = []
    for name, labels in found.selectors:
        if name not in known:
            errors.append(f"unknown metric {name!r}")
            continue
        missing = labels - known[name] - TARGET_LABELS
        if missing:
            errors.append(f"{name} has no label(s) {sorted(missing)}")
    for labels, metrics in found.groupings:
        carried = set(TARGET_LABELS).union(*(known.get(m, frozenset()) for m in metrics))
        missing = labels - carried
        if missing:
            errors.append(f"grouping by {sorted(missing)}: no metric of {sorted(metrics)} has them")
    return errors
