"""What each typed method puts on the wire and reads back: paths, bodies, dates, money, queries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from schemas import jsonio
from tests.amili.fakes import FakeAmili, Rig, json_response, make_rig, new_ec_key_pem
from workers.amili import assumptions
from workers.amili.bodies import (
    AccessGrant,
    AccountCreation,
    Address,
    CaseRegistration,
    ClaimedFee,
    CreditorFields,
    Customer,
    Debt,
    InvoiceLine,
    InvoiceRegistration,
    PaymentRegistration,
    RespiteRegistration,
    UserCreation,
)
from workers.amili.errors import ConflictError, RejectedError
from workers.amili.settings import AmiliSettings

pytestmark = pytest.mark.anyio

CASE = "5f0c0c0c0c0c0c0c0c0c0c01"
CUSTOMER = Customer(
    name="Test Kund AB",
    is_company=True,
    address=Address(address_line_1="Gatan 1", zip_code="11122", city="Stockholm"),
)


def sent_json(request: httpx.Request) -> Any:
    return jsonio.loads(request.content)


def created(extra: dict[str, Any]) -> httpx.Response:
    return json_response(201, {"_id": "new-1", "_status": "OK", **extra})


async def test_register_invoice_writes_rfc1123_dates_and_exact_money(rig: Rig):
    rig.amili.route("POST", "/invoice--registrations", created({"_case": CASE}))
    body = InvoiceRegistration(
        account="acc-1",
        creditor="cred-1",
        invoice_number="INV-1",
        invoice_date=date(2025, 6, 16),
        invoice_due_date=datetime(2025, 7, 16, 12, 30, tzinfo=UTC),
        customer=CUSTOMER,
        matrix=[
            InvoiceLine(
                article_description="Consulting",
                unit_price=Decimal("1234.55"),
                number_of_units=Decimal("3"),
                total_price_excluding_vat=Decimal("3703.65"),
                unit_vat_percent="25%",
            )
        ],
    )
    result = await rig.client.register_invoice(body)
    assert result.case == CASE
    assert result.write_status == "OK"
    raw = rig.amili.requests[-1].content
    assert b'"unit_price":1234.55' in raw  # an exact JSON number, never a float's digits
    wire = sent_json(rig.amili.requests[-1])
    assert wire["invoice_date"] == "Mon, 16 Jun 2025 00:00:00 GMT"
    assert wire["invoice_due_date"] == "Wed, 16 Jul 2025 12:30:00 GMT"
    assert wire["currency"] == "SEK"
    assert wire["invoice_type"] == "invoice"
    assert wire["customer"] == {
        "name": "Test Kund AB",
        "is_company": True,
        "address": {"address_line_1": "Gatan 1", "zip_code": "11122", "city": "Stockholm", "country": "SE"},
    }
    assert rig.amili.requests[-1].headers["Content-Type"] == "application/json"


async def test_register_case_sends_debts_and_reads_case_ids(rig: Rig):
    rig.amili.route(
        "POST",
        "/case--registrations",
        created({"_cases": ["c1", "c2"], "_ocr_numbers": ["o1", "o2"], "_ocr_numbers_ocr": ["123", "456"]}),
    )
    debt = Debt(
        invoice_number="INV-9",
        invoice_date=date(2025, 1, 2),
        capital_to_claim=Decimal("100.10"),
        fees_already_claimed={"reminder": ClaimedFee(amount=Decimal(60), fee_registration_date=date(2025, 2, 1))},
    )
    result = await rig.client.register_case(
        CaseRegistration(account="a", creditor="c", first_action="reminder", customer=CUSTOMER, debts=[debt, debt])
    )
    assert result.cases == ["c1", "c2"]
    assert result.ocr_references == ["123", "456"]
    wire = sent_json(rig.amili.requests[-1])
    assert wire["debts"][0]["capital_to_claim"] == Decimal("100.10")
    assert wire["debts"][0]["fees_already_claimed"]["reminder"]["fee_registration_date"] == (
        "Sat, 01 Feb 2025 00:00:00 GMT"
    )


async def test_register_payment_marks_origin_and_targets_one_case(rig: Rig):
    rig.amili.route("POST", "/creditor--payments", created({"_payment_status": "completed", "settled_amount": 99.5}))
    body = PaymentRegistration(
        creditor="cred-1",
        invoice_number="INV-1",
        amount=Decimal("99.50"),
        bank_transaction_date=date(2025, 3, 3),
        creditor_payment_reference="event-1",
    )
    payment = await rig.client.register_payment(body)
    assert payment.payment_status == "completed"
    assert payment.settled_amount == Decimal("99.5")
    assert isinstance(payment.settled_amount, Decimal)
    wire = sent_json(rig.amili.requests[-1])
    assert wire["origin"] == "creditor_system"
    assert wire["currency"] == "SEK"
    assert "case" not in wire
    with pytest.raises(ValidationError, match="case/invoice_number"):
        PaymentRegistration(creditor="c", amount=Decimal(1), bank_transaction_date=date(2025, 1, 1))


async def test_register_respite_puts_the_case_in_the_path(rig: Rig):
    rig.amili.route("POST", f"/creditor--respites/{CASE}", created({"status": "completed"}))
    body = RespiteRegistration(creditor="c", respite_until=date(2025, 9, 1), reason="dispute")
    respite = await rig.client.register_respite(CASE, body)
    assert respite.status == "completed"
    assert sent_json(rig.amili.requests[-1])["respite_until"] == "Mon, 01 Sep 2025 00:00:00 GMT"
    assert rig.observed[-1][:3] == (assumptions.RESPITE_PATH, "POST", 201)


async def test_upload_sends_multipart_with_domain_and_dotted_path(rig: Rig):
    rig.amili.route("POST", f"/media--upload/{CASE}", created({"url": "https://storage.test/f"}))
    result = await rig.client.upload_case_document(CASE, "inv.pdf", b"%PDF-1.4 ...", "application/pdf")
    assert result.url == "https://storage.test/f"
    request = rig.amili.requests[-1]
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    for part in (b'name="domain"\r\n\r\ncases', b'name="dotted_path"\r\n\r\noriginal_invoice', b"%PDF-1.4"):
        assert part in request.content


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"x", "text/html"), (b"x" * (assumptions.MEDIA_MAX_BYTES + 1), "application/pdf")],
)
async def test_upload_refuses_bad_files_without_sending(rig: Rig, content, content_type):
    with pytest.raises(RejectedError) as caught:
        await rig.client.upload_case_document(CASE, "f", content, content_type)
    assert "file" in caught.value.issues
    assert rig.amili.requests == []


async def test_get_case_parses_dates_money_and_closure(rig: Rig):
    def answer(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.url.params["projection"]) == {"state": 1, "closed": 1}
        return json_response(
            200,
            {
                "_id": CASE,
                "_updated": "Tue, 17 Jun 2025 08:00:00 GMT",
                "state": "closed",
                "closed": {"closed_date": "Tue, 17 Jun 2025 00:00:00 GMT", "reason": "paid"},
                "local_remaining_capital_amount": Decimal("0.10"),
                "debt": {"invoice_number": "INV-1"},
            },
        )

    rig.amili.route("GET", f"/cases/{CASE}", answer)
    case = await rig.client.get_case(CASE, projection={"state": 1, "closed": 1})
    assert case.updated == datetime(2025, 6, 17, 8, tzinfo=UTC)
    assert case.closed is not None
    assert case.closed.reason == "paid"
    assert case.local_remaining_capital_amount == Decimal("0.10")
    assert case.debt is not None
    assert case.debt.invoice_number == "INV-1"
    assert case.is_closed


def paged(items: list[dict[str, Any]], with_total: bool = True):
    def answer(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["max_results"])
        body: dict[str, Any] = {"_items": items[(page - 1) * size : page * size]}
        if with_total:
            body["_meta"] = {"total": len(items), "max_results": size, "page": page}
        return json_response(200, body)

    return answer


@pytest.mark.parametrize("with_total", [True, False])
async def test_iter_cases_walks_every_page(rig: Rig, with_total):
    items = [{"_id": f"case-{i}"} for i in range(250)]
    rig.amili.route("GET", "/cases", paged(items, with_total))
    seen = [c.id async for c in rig.client.iter_cases(where=assumptions.OPEN_CASES_WHERE, sort="_created")]
    assert seen == [i["_id"] for i in items]
    params = [r.url.params for r in rig.amili.requests]
    assert [p["page"] for p in params] == ["1", "2", "3"]
    assert {p["max_results"] for p in params} == {"100"}
    assert json.loads(params[0]["where"]) == {"closed": None}
    assert params[0]["sort"] == "_created"


async def test_pagination_stops_on_an_exact_multiple(rig: Rig):
    rig.amili.route("GET", "/finance--payouts", paged([{"_id": f"p{i}"} for i in range(200)]))
    assert len([p async for p in rig.client.iter_payouts(where={"creditor": "c"})]) == 200
    assert len(rig.amili.requests) == 2


async def test_where_dates_are_rfc1123(rig: Rig):
    rig.amili.route("GET", "/finance--payout-specifications", paged([]))
    since = datetime(2025, 6, 16, tzinfo=UTC)
    _ = [s async for s in rig.client.iter_payout_specifications(where={"_updated": {"$gte": since}})]
    where = json.loads(rig.amili.requests[-1].url.params["where"])
    assert where == {"_updated": {"$gte": "Mon, 16 Jun 2025 00:00:00 GMT"}}


async def test_page_size_over_the_limit_names_the_field(rig: Rig):
    with pytest.raises(ValueError, match="page_size"):
        _ = [c async for c in rig.client.iter_cases(page_size=assumptions.MAX_RESULTS_LIMIT + 1)]


LOOKUPS = [
    ("find_invoice", ("cred", "INV-1"), "/invoices", {"creditor": "cred", "invoice_number": "INV-1"}),
    ("find_case_by_invoice_number", ("cred", "INV-1"), "/cases", {"creditor": "cred", "debt.invoice_number": "INV-1"}),
    (
        "find_payment_by_reference",
        ("cred", "ev-1"),
        "/creditor--payments",
        {"creditor": "cred", "creditor_payment_reference": "ev-1"},
    ),
    (
        "find_crediting_by_reference",
        ("cred", "ev-1"),
        "/creditor--creditings",
        {"creditor": "cred", "creditor_reference": "ev-1"},
    ),
    (
        "find_cancellation",
        ("cred", "ev-1", CASE),
        "/creditor--cancellations",
        {"creditor": "cred", "creditor_reference": "ev-1"},
    ),
    (
        "find_respite",
        ("cred", "ev-1", CASE, date(2026, 3, 1)),
        assumptions.RESPITE_COLLECTION,
        {"creditor": "cred", "creditor_reference": "ev-1"},
    ),
    ("find_user_by_email", ("u@example.test",), "/users", {"email_oauth": "u@example.test"}),
    ("find_account_by_org_no", ("5560269986",), "/accounts", {"organization_no": "5560269986"}),
]


@pytest.mark.parametrize(("method", "args", "path", "where"), LOOKUPS, ids=[m for m, *_ in LOOKUPS])
async def test_natural_key_lookups(rig: Rig, method, args, path, where):
    hit = json_response(200, {"_items": [{"_id": "found-1"}], "_meta": {"total": 1}})
    rig.amili.route("GET", path, hit)
    found = await getattr(rig.client, method)(*args)
    assert found is not None
    assert found.id == "found-1"
    params = rig.amili.requests[-1].url.params
    assert json.loads(params["where"]) == where
    assert params["max_results"] == "1"
    rig.amili.route("GET", path, json_response(200, {"_items": [], "_meta": {"total": 0}}))
    assert await getattr(rig.client, method)(*args) is None


@pytest.mark.parametrize(
    ("method", "args", "endpoint", "path", "where"),
    [
        (
            "find_cancellation",
            ("cred", "ev-1", CASE),
            "/creditor--cancellations",
            "/creditor--cancellations",
            {"creditor": "cred", "case": CASE},
        ),
        (
            "find_respite",
            ("cred", "ev-1", CASE, date(2026, 3, 1)),
            assumptions.RESPITE_PATH,
            assumptions.RESPITE_COLLECTION,
            {"creditor": "cred", "case": CASE, "respite_until": "Sun, 01 Mar 2026 00:00:00 GMT"},
        ),
    ],
)
async def test_once_amili_refused_the_reference_an_action_is_found_by_its_case(
    rig: Rig, method, args, endpoint, path, where
):
    rig.client.refused_fields.add((endpoint, "creditor_reference"))
    rig.amili.route("GET", path, json_response(200, {"_items": [{"_id": "found-1"}], "_meta": {"total": 1}}))
    found = await getattr(rig.client, method)(*args)
    assert found is not None
    assert json.loads(rig.amili.requests[-1].url.params["where"]) == where


async def test_creditors_are_looked_up_within_one_account_in_every_spelling(rig: Rig):
    rig.amili.route("GET", "/creditors", json_response(200, {"_items": [{"_id": "c-1"}], "_meta": {"total": 1}}))
    found = await rig.client.find_creditors("acc-1", organization_no="556026-9986")
    assert [c.id for c in found] == ["c-1"]
    where = json.loads(rig.amili.requests[-1].url.params["where"])
    assert where == {
        "account": "acc-1",
        "organization_no": {"$in": ["5560269986", "556026-9986", "165560269986", "16556026-9986"]},
    }
    await rig.client.find_creditors("acc-1", non_swedish_organization_no="DE123")
    where = json.loads(rig.amili.requests[-1].url.params["where"])
    assert where == {"account": "acc-1", "non_swedish_organization_no": "DE123"}


async def test_list_access_groups_and_create_user(rig: Rig):
    groups = [{"_id": "g1", "type": "account_admin"}, {"_id": "g2", "type": "admin", "creditor": "c"}]
    rig.amili.route("GET", "/access--groups", paged(groups))
    rig.amili.route("POST", "/users", created({}))
    found = await rig.client.list_access_groups("acc-1")
    assert [g.type for g in found] == ["account_admin", "admin"]
    assert json.loads(rig.amili.requests[-1].url.params["where"]) == {"account": "acc-1"}
    user = UserCreation(
        account="acc-1",
        name="N",
        oauth_type="google",
        email_oauth="u@example.test",
        data_access=[AccessGrant(access_group=found[0].id)],
    )
    await rig.client.create_user(user)
    wire = sent_json(rig.amili.requests[-1])
    assert wire["data_access"] == [{"access_group": "g1"}]
    assert wire["email_oauth"] == "u@example.test"
    assert wire["is_enabled"] is True


async def test_activate_creditor_patches_with_if_match(rig: Rig):
    rig.amili.route("PATCH", "/creditors/cred-1", json_response(200, {"_id": "cred-1", "_etag": "e2"}))
    changes = CreditorFields(payout_details={"sek": {"bankgiro": "123-4567"}})
    result = await rig.client.activate_creditor("cred-1", "e1", changes)
    assert result.etag == "e2"
    request = rig.amili.requests[-1]
    assert request.headers["If-Match"] == "e1"
    assert sent_json(request) == {"payout_details": {"sek": {"bankgiro": "123-4567"}}, "is_active": True}
    rig.amili.route("PATCH", "/creditors/cred-1", json_response(412, {"_status": "ERR"}))
    with pytest.raises(ConflictError):
        await rig.client.activate_creditor("cred-1", "stale")


async def test_partner_calls_use_the_partner_credential(key_pair):
    partner_private, partner_public = new_ec_key_pem()
    settings = AmiliSettings(
        base_url="https://amili.test",
        api_code="acct",
        private_key=key_pair[0],
        partner_api_code="partner",
        partner_private_key=partner_private,
    )
    amili = FakeAmili(public_keys={"acct": key_pair[1], "partner": partner_public})
    amili.route("POST", "/accounts", created({"_creditor": "cred-9"}))
    amili.route("GET", "/partners", paged([{"_id": "p1", "name": "P"}]))
    amili.route("GET", f"/cases/{CASE}", json_response(200, {"_id": CASE}))
    rig = make_rig(settings, amili)
    async with rig.client:
        account = await rig.client.create_account(
            AccountCreation(name="A", organization_no="5560269986", initial_creditor_data=CreditorFields(name="A"))
        )
        partners = [p.id async for p in rig.client.iter_partners()]
        await rig.client.get_case(CASE)
    assert account.initial_creditor == "cred-9"
    assert partners == ["p1"]
    codes = [amili.live_tokens[r.headers[assumptions.API_KEY_HEADER]] for r in amili.requests]
    assert codes == ["partner", "partner", "acct"]


def test_deep_link_uses_the_template(settings: AmiliSettings):
    from workers.amili.client import AmiliClient

    client = AmiliClient(settings, transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    assert client.deep_link(CASE) == f"https://app.amili.test/open?resource=cases&id={CASE}"


async def test_async_with_closes_the_pool(settings: AmiliSettings, amili: FakeAmili):
    rig = make_rig(settings, amili)
    async with rig.client as client:
        assert client is rig.client
    assert rig.client._client.is_closed


def _bad_line() -> InvoiceLine:
    return InvoiceLine(
        article_description="a",
        unit_price=Decimal(1),
        number_of_units=Decimal(1),
        total_price_excluding_vat=Decimal(1),
        unit_vat_percent="25",
    )


def _bad_debt() -> Debt:
    return Debt(invoice_number="1", invoice_date=date(2025, 1, 1), capital_to_claim=Decimal(0))


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Customer(name="N"), "is_person/is_company/is_foreign"),
        (lambda: CreditorFields(organization_no="1", non_swedish_organization_no="2"), "organization_no"),
        (_bad_line, "unit_vat_percent"),
        (_bad_debt, "capital_to_claim"),
    ],
)
def test_bad_bodies_name_the_field(build, field):
    with pytest.raises(ValidationError, match=field):
        build()
