"""Invoice registration (full service) and case registration (collection only).

An invoice registration creates the invoice, its customer (reused per creditor and customer number
or id number) and its case, answering `_case`. A case registration creates one case per debt and
answers `_cases`, `_ocr_numbers` and `_ocr_numbers_ocr`. A repeated invoice number is NOT rejected
(Amili's rule is unknown): a second invoice and case are created and the ledger counts both, which
is how tests prove the fleet never registers twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from sandbox import cases, lifecycle
from sandbox.http import created, invalid, read_json
from sandbox.resources.common import add_collection, body_extra, caller, writable_creditor
from sandbox.resources.fields import CURRENCY, CUSTOMER, S, customer_kind_issue, ocr_number
from sandbox.store import Store
from sandbox.validation import Field, validate

NUMBER = Field("number", required=True)
MATRIX_LINE = Field(
    "object",
    fields={
        "article_number": S,
        "article_description": Field("string", required=True),
        "unit_price": NUMBER,
        "number_of_units": Field("number", required=True, positive=True),
        "total_price_excluding_vat": Field("number"),
        "unit_vat_percent": Field("string", required=True, allowed=("25%", "12%", "6%", "0%")),
    },
)
INVOICE_REGISTRATION = {
    "account": Field("id"),
    "creditor": Field("id", required=True),
    "invoice_type": Field("string", required=True, allowed=("invoice",)),
    "invoice_number": Field("string", required=True, max_length=64),
    "reference_number": S,
    "payout_reference": S,
    "invoice_date": Field("date", required=True),
    "invoice_due_date": Field("date", required=True),
    "invoice_delivery_date": Field("date"),
    "currency": CURRENCY,
    "letter_template": S,
    "invoice_headline": S,
    "invoice_body_text": Field("string", max_length=5000),
    "your_contact": S,
    "your_reference": S,
    "our_reference": S,
    "debt_description": S,
    "increment_invoice_number": Field("boolean"),
    "customer": CUSTOMER,
    "matrix": Field("list", required=True, min_items=1, items=MATRIX_LINE),
}
DEBT = Field(
    "object",
    fields={
        "invoice_number": Field("string", required=True, max_length=64),
        "debt_description": S,
        "debt_reference": S,
        "payout_reference": S,
        "invoice_date": Field("date", required=True),
        "capital_to_claim": Field("number", required=True, positive=True),
        "invoice_due_days_after_invoice_date": Field("integer"),
        "interest_days_after_invoice_date": Field("integer"),
        "fees_included_in_capital_to_claim": Field("object", fields={"invoice_fee": Field("number")}),
        "fees_already_claimed": Field(
            "object",
            fields={
                "reminder": Field("object", fields={"amount": Field("number"), "fee_registration_date": Field("date")})
            },
        ),
    },
)
CASE_REGISTRATION = {
    "account": Field("id"),
    "creditor": Field("id", required=True),
    "first_action": Field("string", required=True, allowed=("reminder", "debt_collection")),
    "currency": CURRENCY,
    "customer": CUSTOMER,
    "debts": Field("list", required=True, min_items=1, items=DEBT),
}
_VAT = {"25%": Decimal("0.25"), "12%": Decimal("0.12"), "6%": Decimal("0.06"), "0%": Decimal("0")}


def _checked(store: Store, who: Any, schema: dict[str, Field], body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    clean, issues = validate(schema, body)
    if "customer" in clean:
        issues.update(customer_kind_issue(clean["customer"]))
    if issues:
        raise invalid(issues)
    creditor = writable_creditor(store, who, clean["creditor"])
    if clean.get("account") not in (None, creditor["account"]):
        raise invalid({"account": "the creditor does not belong to this account"})
    return clean, creditor


def find_or_create_customer(store: Store, creditor: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The creditor's customer with this customer number (or id number), created when new."""
    key = data.get("customer_number") or data.get("id_number")
    existing = store.customers_by_key.get((creditor["_id"], key)) if key else None
    if existing:
        return store.docs["customers"][existing]
    customer = store.insert(
        "customers",
        {**data, "creditor": creditor["_id"], "account": creditor["account"], "is_active": True},
    )
    if key:
        store.customers_by_key[(creditor["_id"], key)] = customer["_id"]
    store.ledger.record(
        "customer",
        time=customer["_created"],
        creditor=creditor["_id"],
        natural_key=f"{creditor['_id']}:{key}" if key else None,
        ids={"customer": customer["_id"]},
    )
    return customer


def create_case(
    store: Store,
    creditor: dict[str, Any],
    customer: dict[str, Any],
    debt: dict[str, Any],
    state: str,
    links: dict[str, Any],
) -> dict[str, Any]:
    """A new case in `state`, indexed by invoice number, planned, and recorded in the ledger."""
    ocr = ocr_number(int(creditor.get("creditor_number", 0)), len(store.docs["cases"]) + 1)
    doc = {
        "creditor": creditor["_id"],
        "creditor_name": creditor.get("name"),
        "account": creditor["account"],
        "customer": customer["_id"],
        "customer_name": customer.get("name"),
        "customer_id_number": customer.get("id_number"),
        "customer_number": customer.get("customer_number"),
        "customer_status": "initialized",
        "reference_number": ocr,
        "ocr_number": ocr,
        "agreement_version": 1,
        "case_settings": {"interest_rate": {"reference_rate": True}},
        "debt": debt,
        **links,
        **cases.new_case_fields(debt["capital_to_claim"], state, store.now()),
    }
    case = store.insert("cases", doc)
    cases.add(case, "capital", debt["capital_to_claim"])
    key = (creditor["_id"], debt["invoice_number"])
    store.cases_by_invoice[key].append(case["_id"])
    store.ledger.record(
        "case",
        time=case["_created"],
        creditor=creditor["_id"],
        natural_key=f"{key[0]}:{key[1]}",
        ids={"case": case["_id"], **links},
        case=case["_id"],
    )
    return case


def _invoice_totals(matrix: list[dict[str, Any]]) -> dict[str, Any]:
    totals = {"excl": cases.ZERO, "25%": cases.ZERO, "12%": cases.ZERO, "6%": cases.ZERO, "0%": cases.ZERO}
    for line in matrix:
        net = line.get("total_price_excluding_vat")
        if net is None:
            net = cases.money(line["unit_price"] * line["number_of_units"])
            line["total_price_excluding_vat"] = net
        totals["excl"] += net
        totals[line["unit_vat_percent"]] += cases.money(net * _VAT[line["unit_vat_percent"]])
    vat = cases.money(totals["25%"] + totals["12%"] + totals["6%"])
    return {
        "total_amount_excluding_vat": cases.money(totals["excl"]),
        "total_vat_25_percent": cases.money(totals["25%"]),
        "total_vat_12_percent": cases.money(totals["12%"]),
        "total_vat_6_percent": cases.money(totals["6%"]),
        "total_vat": vat,
        "total_amount_including_vat": cases.money(totals["excl"] + vat),
        "amount_rounding": cases.ZERO,
    }


async def register_invoice(request: Request) -> Response:
    _, store, who = caller(request)
    data, creditor = _checked(store, who, INVOICE_REGISTRATION, await read_json(request))
    totals = _invoice_totals(data["matrix"])
    if totals["total_amount_including_vat"] <= 0:
        raise invalid({"matrix": "the invoice total must be greater than 0"})
    customer = find_or_create_customer(store, creditor, data["customer"])
    registration = store.insert("invoice--registrations", {**data, "account": creditor["account"]})
    due_days = (data["invoice_due_date"].dt - data["invoice_date"].dt).days
    debt = {
        "invoice_number": data["invoice_number"],
        "debt_description": data.get("debt_description") or creditor.get("standard_debt_description"),
        "payout_reference": data.get("payout_reference"),
        "invoice_date": data["invoice_date"],
        "invoice_due_days_after_invoice_date": due_days,
        "initial_capital": totals["total_amount_including_vat"],
        "capital_to_claim": totals["total_amount_including_vat"],
    }
    case = create_case(store, creditor, customer, debt, "invoice", {"invoice_registration": registration["_id"]})
    invoice = store.insert(
        "invoices",
        {
            **{k: v for k, v in data.items() if k != "customer"},
            **totals,
            "account": creditor["account"],
            "creditor_name": creditor.get("name"),
            "customer": customer["_id"],
            "customer_name": customer.get("name"),
            "customer_id_number": customer.get("id_number"),
            "customer_number": customer.get("customer_number"),
            "customer_status": "initialized",
            "invoice_registration": registration["_id"],
            "case": case["_id"],
            "ocr_number": case["ocr_number"],
            "agreement_version": 1,
        },
    )
    case["invoice"] = invoice["_id"]
    registration["case"] = case["_id"]
    registration["invoice"] = invoice["_id"]
    cases.touch_case(store, case)
    lifecycle.plan_case(store, case, data["invoice_due_date"].dt)
    nk = f"{creditor['_id']}:{data['invoice_number']}"
    for kind, doc in (("invoice_registration", registration), ("invoice", invoice)):
        store.ledger.record(
            kind,
            time=doc["_created"],
            creditor=creditor["_id"],
            natural_key=nk,
            ids={kind: doc["_id"], "case": case["_id"]},
            case=case["_id"],
        )
    return created(registration, _case=case["_id"], _invoice=invoice["_id"], _ocr_number=case["ocr_number"])


async def register_cases(request: Request) -> Response:
    _, store, who = caller(request)
    data, creditor = _checked(store, who, CASE_REGISTRATION, await read_json(request))
    if not creditor.get("is_active"):
        raise invalid({"creditor": "inactive creditors cannot receive case registrations"})
    customer = find_or_create_customer(store, creditor, data["customer"])
    registration = store.insert("case--registrations", {**data, "account": creditor["account"]})
    state = data["first_action"]
    case_ids, ocr_ids, ocrs = [], [], []
    for debt_in in data["debts"]:
        debt = {**debt_in, "initial_capital": debt_in["capital_to_claim"]}
        case = create_case(store, creditor, customer, debt, state, {"case_registration": registration["_id"]})
        outlay = cases.ZERO
        reminder = (debt_in.get("fees_already_claimed") or {}).get("reminder") or {}
        if reminder.get("amount"):
            outlay = cases.money(reminder["amount"])
            cases.add(case, "costs", outlay)
        lifecycle.enter_stage(store, case, state)
        cases.touch_case(store, case)
        lifecycle.plan_case(store, case, store.clock.now(), outlay)
        case_ids.append(case["_id"])
        ocrs.append(case["ocr_number"])
        ocr_ids.append(store.ids.new())
    registration.update({"cases": case_ids, "ocr_numbers_ocr": ocrs})
    store.ledger.record(
        "case_registration",
        time=registration["_created"],
        creditor=creditor["_id"],
        natural_key=f"{creditor['_id']}:{','.join(d['invoice_number'] for d in data['debts'])}",
        ids={"case_registration": registration["_id"], "cases": case_ids},
    )
    return created(registration, _cases=case_ids, _ocr_numbers=ocr_ids, _ocr_numbers_ocr=ocrs)


def register(app: FastAPI) -> None:
    app.add_api_route(
        "/invoice--registrations",
        register_invoice,
        methods=["POST"],
        status_code=201,
        tags=["registrations"],
        openapi_extra=body_extra(INVOICE_REGISTRATION),
    )
    app.add_api_route(
        "/case--registrations",
        register_cases,
        methods=["POST"],
        status_code=201,
        tags=["registrations"],
        openapi_extra=body_extra(CASE_REGISTRATION),
    )
    for collection in ("invoice--registrations", "invoices", "case--registrations", "cases", "customers"):
        add_collection(app, collection, tag="registrations")
