"""Request bodies for sandbox tests (fictional data only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from sandbox import jsonio

INVOICE_DATE = "Mon, 16 Jun 2025 00:00:00 GMT"
DUE_DATE = "Mon, 30 Jun 2025 00:00:00 GMT"


def invoice(creditor: str, number: str = "INV-1", price: str = "1000.00", **overrides: Any) -> dict[str, Any]:
    """An invoice registration of `price` + 25 % VAT."""
    body: dict[str, Any] = {
        "creditor": creditor,
        "invoice_type": "invoice",
        "invoice_number": number,
        "invoice_date": INVOICE_DATE,
        "invoice_due_date": DUE_DATE,
        "currency": "SEK",
        "customer": {"name": "Testbolaget AB", "is_company": True, "customer_number": "K-1"},
        "matrix": [
            {
                "article_description": "Konsult",
                "unit_price": Decimal(price),
                "number_of_units": 1,
                "unit_vat_percent": "25%",
            }
        ],
    }
    body.update(overrides)
    return body


def case_registration(
    creditor: str, *numbers: str, capital: str = "500.00", first_action: str = "reminder"
) -> dict[str, Any]:
    return {
        "creditor": creditor,
        "first_action": first_action,
        "currency": "SEK",
        "customer": {"name": "Testbolaget AB", "is_company": True, "customer_number": "K-2"},
        "debts": [
            {"invoice_number": n, "invoice_date": INVOICE_DATE, "capital_to_claim": Decimal(capital)} for n in numbers
        ],
    }


def action(creditor: str, case: str | None = None, invoice_number: str | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"creditor": creditor, "origin": "creditor_system", **fields}
    if case:
        body["case"] = case
    if invoice_number:
        body["invoice_number"] = invoice_number
    return body


def payment(creditor: str, case: str, amount: str, reference: str = "pay-1") -> dict[str, Any]:
    return action(
        creditor, case, currency="SEK", amount=Decimal(amount), bank_transaction_date=INVOICE_DATE,
        creditor_payment_reference=reference,
    )  # fmt: skip


def post(client: httpx.Client, path: str, body: Any) -> httpx.Response:
    """POST a body serialised with exact Decimal amounts, parse the answer the same way."""
    return client.post(path, content=jsonio.dumps(body), headers={"content-type": "application/json"})


def data(response: httpx.Response) -> Any:
    return jsonio.loads(response.content)
