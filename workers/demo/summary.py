"""The demo's closing summary: per use case what came in and how it ended, what Amili now holds (from
the sandbox ledger), the duplicates that were prevented, what the pollers reported, and where to look."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schemas.catalog import POLLERS, USE_CASES
from workers.demo.tracker import Published, Tally

if TYPE_CHECKING:
    from workers.demo.stack import Stack

STATUSES = ("succeeded", "rejected", "dead_lettered", "pending")


@dataclass
class Report:
    rows: dict[str, Counter[str]] = field(default_factory=dict)
    holdings: Counter[str] = field(default_factory=Counter)
    amili_duplicates: dict[str, dict[str, int]] = field(default_factory=dict)
    reconciled: int = 0
    repeated_outcomes: int = 0
    facts: dict[str, tuple[int, int]] = field(default_factory=dict)  # poller -> (records, distinct ids)
    dead_letter_classes: Counter[str] = field(default_factory=Counter)
    case_waits: dict[str, float] = field(default_factory=dict)  # started, found, gave_up
    #: Amili's reasons for actions it applied with a warning (succeeded, with `amili_status`)
    amili_warnings: Counter[str] = field(default_factory=Counter)

    @property
    def all_terminal(self) -> bool:
        return all(row["pending"] == 0 for row in self.rows.values())


def status_of(record: Published, tally: Tally) -> str:
    if (record.topic, record.partition, record.offset) in tally.dead_letters:
        return "dead_lettered"
    statuses = tally.by_cause.get(record.event_id, set())
    for status in ("dead_lettered", "rejected", "succeeded"):
        if status in statuses:
            return status
    return "pending"


def _reconciled(detail: dict[str, Any]) -> bool:
    value = detail.get("reconciled")
    return value is True or (isinstance(value, int) and not isinstance(value, bool) and value > 0)


def summarize(published: list[Published], tally: Tally, ledger: dict[str, Any]) -> Report:
    report = Report()
    for record in published:
        row = report.rows.setdefault(record.use_case, Counter())
        row["in"] += 1
        row[record.kind] += 1
        row[status_of(record, tally)] += 1
    report.holdings = Counter(entry["kind"] for entry in ledger.get("entries", []))
    report.amili_duplicates = ledger.get("duplicates", {})
    report.reconciled = sum(1 for data in tally.outcomes.values() if _reconciled(data.get("detail", {})))
    report.repeated_outcomes = tally.outcome_records - len(tally.outcomes)
    report.facts = {name: (tally.facts.get(name, 0), len(tally.fact_ids.get(name, ()))) for name in POLLERS}
    report.dead_letter_classes = Counter(str(dl["error_class"]) for dl in tally.dead_letters.values())
    report.amili_warnings = Counter(
        str(answer.get("reason"))
        for data in tally.outcomes.values()
        if isinstance(answer := data.get("amili_status"), dict) and answer.get("status") == "warning"
    )
    return report


def render_summary(report: Report, stack: Stack) -> str:
    lines = ["", f"{'use case':<22}{'in':>6}{'dup':>6}{'bad':>6}{'ok':>7}{'rejected':>10}{'dead':>7}{'pending':>9}"]
    for name in [n for n in USE_CASES if n in report.rows]:
        row = report.rows[name]
        lines.append(
            f"{name:<22}{row['in']:>6}{row['duplicate']:>6}{row['poison']:>6}{row['succeeded']:>7}"
            f"{row['rejected']:>10}{row['dead_lettered']:>7}{row['pending']:>9}"
        )
    total = sum(report.rows.values(), Counter())
    lines.append(
        f"{'total':<22}{total['in']:>6}{total['duplicate']:>6}{total['poison']:>6}{total['succeeded']:>7}"
        f"{total['rejected']:>10}{total['dead_lettered']:>7}{total['pending']:>9}"
    )
    lines.append("")
    lines.append("pollers (facts published / distinct ids):")
    for name, (count, distinct) in report.facts.items():
        lines.append(f"  {name:<30} {count:>6} / {distinct}")
    lines.append("")
    held = ", ".join(f"{kind} {count}" for kind, count in sorted(report.holdings.items()))
    lines.append(f"Amili (sandbox ledger) now holds: {held or 'nothing'}")
    if report.amili_duplicates:
        lines.append(f"DUPLICATES in Amili: {report.amili_duplicates}")
    else:
        lines.append("no entity was created twice in Amili")
    lines.append(
        f"duplicates prevented: {report.reconciled} writes found already done by a natural-key look-up, "
        f"{report.repeated_outcomes} repeated outcomes (same deterministic id)"
    )
    if report.case_waits:
        waits = report.case_waits
        lines.append(
            f"follow-ups that found no case yet and waited for it: {waits.get('started', 0):.0f} "
            f"(found {waits.get('found', 0):.0f}, gave up {waits.get('gave_up', 0):.0f})"
        )
    if report.amili_warnings:
        reasons = ", ".join(f"{k} {v}" for k, v in report.amili_warnings.most_common())
        lines.append(f"succeeded with Amili's warning (amili_status): {reasons}")
    if report.dead_letter_classes:
        classes = ", ".join(f"{k} {v}" for k, v in report.dead_letter_classes.most_common())
        lines.append(f"dead letters by error class: {classes}")
    verdict = "every record reached a terminal state" if report.all_terminal else "SOME RECORDS ARE STILL PENDING"
    lines.append(verdict)
    lines.append("")
    lines.append("where to look next:")
    lines.append(f"  metrics        {', '.join(stack.metrics_urls())} (with --keep-running)")
    if stack.broker is not None:
        lines.append(f"  dead letters   KAFKA_BOOTSTRAP_SERVERS={stack.broker.bootstrap} amili-fleet dlq list")
    lines.append(f"  logs           {stack.log_dir}")
    return "\n".join(lines)
