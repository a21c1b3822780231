"""The event catalog: ONE place for use-case names, event types, data models, topics and streams.

Type names follow one scheme: `se.amili-fleet.<domain>.<event-name>.v<major>`, where domain is
`billing` (upstream billing systems), `partner` (platform partners), `amili` (facts read from Amili)
or `outcome`. A breaking change to a data model gets a new major version and a new type; both run
side by side until producers have moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel

from schemas import actions, facts, partner, registrations
from schemas.common import EventData
from schemas.keys import build_key
from schemas.outcomes import OUTCOME_TYPES, Outcome

OUTCOMES_TOPIC: Final = "amili.outcomes"
DLQ_SUFFIX: Final = ".dlq"
#: The claim stream: every event about one claim, in one topic, keyed `<creditor id>:<invoice number>`.
CLAIMS_TOPIC: Final = "billing.claims"


@dataclass(frozen=True)
class InboundUseCase:
    """A use case driven by an inbound event: a worker consumes `topic` and calls Amili."""

    name: str
    event_type: str
    model: type[EventData]
    topic: str


@dataclass(frozen=True)
class Poller:
    """A use case that reads Amili on a schedule and publishes facts to `topic`."""

    name: str
    event_type: str
    model: type[EventData]
    topic: str


def _in(name: str, domain: str, event: str, model: type[EventData]) -> InboundUseCase:
    return InboundUseCase(name, f"se.amili-fleet.{domain}.{event}.v1", model, f"{domain}.{event}")


def _poll(name: str, event: str, topic: str, model: type[EventData]) -> Poller:
    return Poller(name, f"se.amili-fleet.amili.{event}.v1", model, topic)


USE_CASES: Final[dict[str, InboundUseCase]] = {
    u.name: u
    for u in (
        _in("register_invoice", "billing", "invoice-issued", registrations.InvoiceIssued),
        _in("register_case", "billing", "claim-handed-over", registrations.ClaimHandedOver),
        _in("upload_document", "billing", "document-attached", actions.DocumentAttached),
        _in("lookup_case_status", "billing", "case-status-requested", actions.CaseStatusRequested),
        _in("register_payment", "billing", "payment-received", actions.PaymentReceived),
        _in("credit_case", "billing", "credit-issued", actions.CreditIssued),
        _in("cancel_case", "billing", "invoice-cancelled", actions.InvoiceCancelled),
        _in("grant_respite", "billing", "respite-requested", actions.RespiteRequested),
        _in("invite_user", "billing", "user-invited", partner.UserInvited),
        _in("provision_account", "partner", "account-requested", partner.AccountRequested),
        _in("provision_creditor", "partner", "creditor-requested", partner.CreditorRequested),
    )
}

POLLERS: Final[dict[str, Poller]] = {
    p.name: p
    for p in (
        _poll("export_open_cases", "open-case-snapshot", "amili.open-cases", facts.OpenCaseSnapshot),
        _poll("export_closed_cases", "case-closed", "amili.case-closed", facts.CaseClosed),
        _poll("export_payout_specifications", "payout-specified", "amili.payout-specified", facts.PayoutSpecified),
        _poll("track_revenue", "revenue-reported", "amili.revenue-reported", facts.RevenueReported),
    )
}


@dataclass(frozen=True)
class Stream:
    """What one consumer group reads: its topic(s) and, per event type carried, the use case it goes to.

    Records with one key reach their use cases in offset order whatever their type, so a claim's
    registration is handled before the follow-ups published after it on the same stream.
    """

    name: str
    topics: tuple[str, ...]
    types: Mapping[str, str]  # event type -> use case name

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.topics[0])


#: The use cases whose events are about one claim (keyed `<creditor id>:<invoice number>`): the claim stream.
CLAIM_LIFECYCLE: Final = (
    "register_invoice",
    "register_case",
    "upload_document",
    "lookup_case_status",
    "register_payment",
    "credit_case",
    "cancel_case",
    "grant_respite",
)
#: The default streams: one per use case on its own topic (named after it), and the claim stream.
STREAMS: Final[dict[str, Stream]] = {
    **{u.name: Stream(u.name, (u.topic,), {u.event_type: u.name}) for u in USE_CASES.values()},
    "claims": Stream("claims", (CLAIMS_TOPIC,), {USE_CASES[n].event_type: n for n in CLAIM_LIFECYCLE}),
}
CLAIM_STREAM: Final = STREAMS["claims"]
#: event type -> the inbound use case that handles it.
INBOUND_BY_TYPE: Final[dict[str, InboundUseCase]] = {u.event_type: u for u in USE_CASES.values()}
#: Every event type this project defines -> its data model.
EVENT_TYPES: Final[dict[str, type[BaseModel]]] = {
    **{u.event_type: u.model for u in USE_CASES.values()},
    **{p.event_type: p.model for p in POLLERS.values()},
    **{t: Outcome for t in OUTCOME_TYPES.values()},
}
#: Every topic: inbound (per type and the claim stream), facts, outcomes.
TOPICS: Final[tuple[str, ...]] = (
    *(u.topic for u in USE_CASES.values()),
    CLAIMS_TOPIC,
    *(p.topic for p in POLLERS.values()),
    OUTCOMES_TOPIC,
)


def dead_letter_topic(topic: str) -> str:
    """Dead letters of topic T go to `T.dlq`."""
    return f"{topic}{DLQ_SUFFIX}"


def aggregate_key(creditor: str, reference: str) -> str:
    """The record key `<creditor>:<reference>` (see `schemas.keys`); raises ContractError when malformed."""
    return build_key(creditor, reference)
