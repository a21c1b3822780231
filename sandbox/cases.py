"""A case's money and state, as Amili keeps it: balances, transitions, closure, the invoice mirror.

Amounts are Decimal. A payment settles costs, then interest, then capital (the order of Swedish
räntelagen); a crediting reduces capital only. Every change appends to `state_history` /
`status_history` where the state moves, bumps `_updated` (pollers watch it), and copies the case's
state and balances onto its invoice, if it has one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.reading import CLOSED_STATE
from sandbox.store import Store

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
PARTS = ("capital", "costs", "interest")

#: `status` per `state` (Amili's full enum is unknown; these follow the values seen in the docs).
STATUS_OF_STATE = {
    "invoice": "invoice",
    "reminder": "reminder_active",
    "debt_collection": "debt_collection_active",
    CLOSED_STATE: "closed",
}


def money(value: Decimal | int) -> Decimal:
    return Decimal(value).quantize(CENT)


def new_case_fields(capital: Decimal, state: str, now: str) -> dict[str, Any]:
    """The balance and state fields of a new case."""
    fields: dict[str, Any] = {
        "state": state,
        "status": STATUS_OF_STATE[state],
        "state_history": [{"state": state, "state_date": now}],
        "status_history": [{"status": STATUS_OF_STATE[state], "status_date": now}],
        "latest_state_date": now,
        "closed": None,
        "currency": "SEK",
    }
    for part in (*PARTS, "transaction"):
        fields[f"local_added_{part}_amount"] = ZERO
        fields[f"local_remaining_{part}_amount"] = ZERO
    fields["total_remaining_capital_amount"] = ZERO
    return fields


def add(case: dict[str, Any], part: str, amount: Decimal) -> None:
    """Add to a balance part (capital, costs, interest) and to the transaction total."""
    amount = money(amount)
    for prefix in ("local_added_", "local_remaining_"):
        case[f"{prefix}{part}_amount"] = money(case[f"{prefix}{part}_amount"] + amount)
        case[f"{prefix}transaction_amount"] = money(case[f"{prefix}transaction_amount"] + amount)
    case["total_remaining_capital_amount"] = case["local_remaining_capital_amount"]


def settle(case: dict[str, Any], part: str, amount: Decimal) -> Decimal:
    """Take up to `amount` off one remaining balance; returns what was settled."""
    taken: Decimal = min(money(amount), case[f"local_remaining_{part}_amount"])
    case[f"local_remaining_{part}_amount"] = money(case[f"local_remaining_{part}_amount"] - taken)
    case["local_remaining_transaction_amount"] = money(case["local_remaining_transaction_amount"] - taken)
    case["total_remaining_capital_amount"] = case["local_remaining_capital_amount"]
    return taken


def remaining(case: dict[str, Any]) -> Decimal:
    return money(Decimal(case["local_remaining_transaction_amount"]))


def is_open(case: dict[str, Any]) -> bool:
    return case.get("closed") is None


def move(store: Store, case: dict[str, Any], state: str) -> None:
    """Transition to `state`: history, status, `_updated`, the invoice mirror."""
    now = store.now()
    case["state"] = state
    case["status"] = STATUS_OF_STATE[state]
    case["latest_state_date"] = now
    case["state_history"].append({"state": state, "state_date": now})
    case["status_history"].append({"status": case["status"], "status_date": now})
    touch_case(store, case)
    store.ledger.record(
        "case_transition",
        time=now,
        creditor=case["creditor"],
        natural_key=None,
        ids={"case": case["_id"], "state": state},
        case=case["_id"],
    )


def close(store: Store, case: dict[str, Any], reason: str) -> None:
    """Close the case with a reason from `reading.CLOSURE_REASONS`."""
    case["closed"] = {"closed_date": store.now(), "reason": reason}
    store.plans.pop(case["_id"], None)
    move(store, case, CLOSED_STATE)


def touch_case(store: Store, case: dict[str, Any]) -> None:
    """Bump the case and copy its state and balances onto its invoice."""
    store.touch(case)
    invoice = store.get("invoices", case.get("invoice") or "")
    if invoice is None:
        return
    invoice["case_state"] = case["state"]
    invoice["case_status"] = case["status"]
    for part in (*PARTS, "transaction"):
        invoice[f"case_total_added_{part}_amount"] = case[f"local_added_{part}_amount"]
        invoice[f"case_total_remaining_{part}_amount"] = case[f"local_remaining_{part}_amount"]
    store.touch(invoice)
