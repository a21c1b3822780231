"""The Amili client against the real sandbox on loopback: every method, paging, look-ups, faults.

One sandbox process serves the session (`tests/fixtures/sandbox.py`) and is reset before each test;
the client runs its real network path (httpx pool, JWT assertions, token exchange, error table).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.fixtures.sandbox import SandboxHandle
from workers.amili import assumptions, check
from workers.amili.bodies import (
    AccessGrant,
    AccountCreation,
    Address,
    CancellationRegistration,
    CaseRegistration,
    ClaimedFee,
    CreditingRegistration,
    CreditorCreation,
    CreditorFields,
    Customer,
    Debt,
    InvoiceLine,
    InvoiceRegistration,
    PaymentRegistration,
    RespiteRegistration,
    UserCreation,
)
from workers.amili.client import AmiliClient
from workers.amili.errors import (
    AccessDenied,
    AuthError,
    ConflictError,
    EndpointError,
    NotFoundError,
    RateLimited,
    RejectedError,
    TransientError,
)
from workers.amili.settings import AmiliSettings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

ADDRESS = Address(address_line_1="Testvägen 2", zip_code="41101", city="Göteborg")
#: Valid Swedish organisation numbers (Luhn) the seed does not use.
NEW_ORG_NOS = ("5560269986", "5565945549")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def settings_for(sandbox: SandboxHandle, **overrides: object) -> AmiliSettings:
    creds = sandbox.credentials
    values: dict[str, object] = {
        "base_url": sandbox.base_url,
        "app_url": "https://app.sandbox.test",
        "api_code": creds.account_api_code,
        "private_key_file": creds.account_key_path,
        "partner_api_code": creds.partner_api_code,
        "partner_private_key_file": creds.partner_key_path,
        "read_timeout": 5.0,
        **overrides,
    }
    return AmiliSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def amili(sandbox: SandboxHandle) -> AsyncIterator[AmiliClient]:
    async with AmiliClient.from_settings(settings_for(sandbox)) as client:
        yield client


def invoice(
    creditor: str, number: str, amount: str = "1000.00", *, customer_number: str = "K-1"
) -> InvoiceRegistration:
    today = datetime.now(UTC).date()
    return InvoiceRegistration(
        creditor=creditor,
        invoice_number=number,
        invoice_date=today,
        invoice_due_date=today + timedelta(days=30),
        customer=Customer(name="Testkund AB", customer_number=customer_number, is_company=True, address=ADDRESS),
        matrix=[
            InvoiceLine(
                article_description="Tjänst",
                unit_price=Decimal(amount),
                number_of_units=Decimal(1),
                total_price_excluding_vat=Decimal(amount),
                unit_vat_percent="0%",
            )
        ],
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_invoice_registration_and_case_reads(sandbox: SandboxHandle, amili: AmiliClient):
    creditor = sandbox.credentials.creditor_id
    number = unique("INV")
    registered = await amili.register_invoice(invoice(creditor, number, "1234.56"))
    assert registered.case is not None
    assert registered.write_status == "OK"

    case = await amili.get_case(registered.case)
    assert case.creditor == creditor
    assert case.debt is not None
    assert case.debt.capital_to_claim == Decimal("1234.56")
    assert case.local_remaining_capital_amount == Decimal("1234.56")
    assert case.closed is None
    projected = await amili.get_case(registered.case, projection={"state": 1})
    assert projected.state == case.state
    assert projected.debt is None  # the projection left it out

    found_case = await amili.find_case_by_invoice_number(creditor, number)
    found_invoice = await amili.find_invoice(creditor, number)
    assert found_case is not None
    assert found_case.id == registered.case
    assert found_invoice is not None
    assert found_invoice.case == registered.case
    invoice_doc = await amili.get_invoice(found_invoice.id)
    assert invoice_doc.total_amount_including_vat == Decimal("1234.56")
    assert case.customer is not None
    customer = await amili.get_customer(case.customer)
    assert customer.customer_number == "K-1"
    assert [c.id async for c in amili.iter_customers(where={"customer_number": "K-1"})] == [customer.id]
    assert amili.deep_link(registered.case) == f"https://app.sandbox.test/open?resource=cases&id={registered.case}"

    uploaded = await amili.upload_case_document(registered.case, "faktura.pdf", b"%PDF-1.4 test", "application/pdf")
    assert uploaded.url
    assert sandbox.ledger(kind="media", case=registered.case)["total"] == 1


async def test_case_registration_makes_one_case_per_debt(sandbox: SandboxHandle, amili: AmiliClient):
    creditor = sandbox.credentials.creditor_id
    today = datetime.now(UTC).date()
    numbers = [unique("D"), unique("D")]
    debts = [
        Debt(
            invoice_number=n,
            invoice_date=today - timedelta(days=40),
            capital_to_claim=Decimal("500.50"),
            invoice_due_days_after_invoice_date=30,
            fees_already_claimed={"reminder": ClaimedFee(amount=Decimal(60), fee_registration_date=today)},
        )
        for n in numbers
    ]
    result = await amili.register_case(
        CaseRegistration(
            account=sandbox.credentials.account_id,
            creditor=creditor,
            first_action="debt_collection",
            customer=Customer(name="Privatperson", id_number="19900101-1234", is_person=True),
            debts=debts,
        )
    )
    assert len(result.cases) == 2
    assert len(result.ocr_references) == 2
    for number, case_id in zip(numbers, result.cases, strict=True):
        found = await amili.find_case_by_invoice_number(creditor, number)
        assert found is not None
        assert found.id == case_id
        assert found.state == "debt_collection"


async def test_creditor_actions_and_their_reference_lookups(sandbox: SandboxHandle, amili: AmiliClient):
    creditor = sandbox.credentials.creditor_id
    paid = await amili.register_invoice(invoice(creditor, unique("P"), "1000.00"))
    credited = await amili.register_invoice(invoice(creditor, unique("C"), "300.00"))
    cancelled = await amili.register_invoice(invoice(creditor, unique("X"), "200.00"))
    assert paid.case is not None
    assert credited.case is not None
    assert cancelled.case is not None
    refs = {kind: unique(kind) for kind in ("pay", "credit", "respite", "cancel")}
    today = datetime.now(UTC).date()

    payment = await amili.register_payment(
        PaymentRegistration(
            creditor=creditor,
            case=paid.case,
            amount=Decimal("400.10"),
            bank_transaction_date=today,
            creditor_payment_reference=refs["pay"],
        )
    )
    assert payment.status == "completed"
    assert payment.payment_status == "completed"
    assert payment.settled_amount == Decimal("400.10")
    crediting = await amili.register_crediting(
        CreditingRegistration(
            creditor=creditor, case=credited.case, amount=Decimal(100), creditor_reference=refs["credit"]
        )
    )
    assert crediting.status == "completed"
    respite = await amili.register_respite(
        paid.case,
        RespiteRegistration(
            creditor=creditor,
            respite_until=today + timedelta(days=20),
            reason="dispute",
            creditor_reference=refs["respite"],
        ),
    )
    assert respite.status == "completed"
    cancellation = await amili.register_cancellation(
        CancellationRegistration(creditor=creditor, case=cancelled.case, creditor_reference=refs["cancel"])
    )
    assert cancellation.cancellation_status == "completed"

    found_payment = await amili.find_payment_by_reference(creditor, refs["pay"])
    found_crediting = await amili.find_crediting_by_reference(creditor, refs["credit"])
    found_respite = await amili.find_respite(creditor, refs["respite"], paid.case, today + timedelta(days=20))
    found_cancellation = await amili.find_cancellation(creditor, refs["cancel"], cancelled.case)
    assert found_payment is not None
    assert found_payment.id == payment.id
    assert found_payment.amount == Decimal("400.10")
    assert found_crediting is not None
    assert found_crediting.id == crediting.id
    assert found_respite is not None
    assert found_respite.id == respite.id
    assert found_cancellation is not None
    assert found_cancellation.id == cancellation.id
    for lookup in (amili.find_payment_by_reference, amili.find_crediting_by_reference):
        assert await lookup(creditor, "no-such-event") is None
    assert await amili.find_respite(creditor, "no-such-event", paid.case, today) is None
    assert await amili.find_cancellation(creditor, "no-such-event", cancelled.case) is None

    closed = await amili.get_case(cancelled.case)
    assert closed.is_closed
    assert closed.closed is not None
    assert closed.closed.reason == "cancelled"
    open_ids = [c.id async for c in amili.iter_cases(where={**assumptions.OPEN_CASES_WHERE, "creditor": creditor})]
    assert paid.case in open_ids
    assert cancelled.case not in open_ids


async def test_pagination_walks_every_page_in_order(sandbox: SandboxHandle, amili: AmiliClient):
    creditor = sandbox.credentials.creditor_ids[1]
    numbers = [f"PG-{i:02d}" for i in range(7)]
    for number in numbers:
        await amili.register_invoice(invoice(creditor, number, "10.00"))
    where = {"creditor": creditor}

    def list_requests() -> int:
        return int(sandbox.stats()["endpoints"].get("GET /cases", {}).get("200", 0))

    before = list_requests()
    cases = [c async for c in amili.iter_cases(where=where, sort="-debt.invoice_number", page_size=3)]
    assert [c.debt.invoice_number for c in cases if c.debt] == sorted(numbers, reverse=True)
    assert list_requests() - before == 3  # pages of 3, 3 and 1
    invoices = [i.invoice_number async for i in amili.iter_invoices(where=where, sort="invoice_number", page_size=2)]
    assert invoices == numbers
    projected = [c async for c in amili.iter_cases(where=where, projection={"state": 1}, page_size=100)]
    assert len(projected) == 7
    assert all(c.debt is None and c.state == "invoice" for c in projected)


async def test_finance_exports_after_cases_are_collected(sandbox: SandboxHandle, amili: AmiliClient):
    creditor = sandbox.credentials.creditor_ids[2]
    for i in range(12):
        await amili.register_invoice(invoice(creditor, f"F-{i:02d}", "100.00", customer_number=f"K-{i}"))
    sandbox.advance_clock(days=120)  # every case runs its course; the paid ones are collected
    sandbox.advance_clock(days=8)  # the booking week is over: its rows are paid out

    specs = [s async for s in amili.iter_payout_specifications(where={"creditor": creditor}, page_size=5)]
    assert len(specs) > 5  # more than one page
    assert all(isinstance(s.amount, Decimal) for s in specs)
    capital = [
        s
        async for s in amili.iter_payout_specifications(
            where={"creditor": creditor, "finance_category": {"$in": ["capital"]}}
        )
    ]
    assert capital
    assert all(s.finance_category == "capital" for s in capital)
    payouts = [p async for p in amili.iter_payouts(where={"creditor": creditor}, page_size=2)]
    assert len(payouts) > 2  # more than one page
    assert {s.payout for s in specs if s.payout} <= {p.id for p in payouts}
    paid_out = sum((p.amount or Decimal(0) for p in payouts), Decimal(0))
    assert paid_out == sum((s.amount or Decimal(0) for s in specs if s.payout), Decimal(0))


async def test_users_and_access_groups(sandbox: SandboxHandle, amili: AmiliClient):
    account = sandbox.credentials.account_id
    groups = await amili.list_access_groups(account)
    admin = next(g for g in groups if g.type == "account_admin")
    assert {g.type for g in groups} >= {"account_admin", "admin", "user"}
    email = f"{unique('user')}@example.test"
    created = await amili.create_user(
        UserCreation(
            account=account,
            name="Test Användare",
            oauth_type="microsoft",
            email_oauth=email,
            data_access=[AccessGrant(access_group=admin.id)],
        )
    )
    found = await amili.find_user_by_email(email)
    assert found is not None
    assert found.id == created.id
    assert (await amili.find_user_by_email(email, account=account)) is not None
    assert (await amili.get_user(created.id)).email_oauth == email
    assert await amili.find_user_by_email("nobody@example.test") is None


async def test_partner_provisions_account_and_creditor(sandbox: SandboxHandle, amili: AmiliClient):
    partners = [p async for p in amili.iter_partners()]
    assert [p.id for p in partners] == [sandbox.credentials.partner_id]
    account = await amili.create_account(
        AccountCreation(
            name="Ny Kund AB",
            organization_no=NEW_ORG_NOS[0],
            initial_creditor_data=CreditorFields(name="Ny Kund AB", organization_no=NEW_ORG_NOS[0]),
        )
    )
    assert account.initial_creditor is not None
    found_account = await amili.find_account_by_org_no(NEW_ORG_NOS[0])
    assert found_account is not None
    assert found_account.id == account.id
    assert (await amili.get_account(account.id)).organization_no == NEW_ORG_NOS[0]

    creditor = await amili.create_creditor(
        CreditorCreation(account=account.id, name="Ny Kund Bygg AB", organization_no=NEW_ORG_NOS[1])
    )
    found = await amili.find_creditors(account.id, organization_no=NEW_ORG_NOS[1])
    assert [c.id for c in found] == [creditor.id]
    # A creditor belongs to one account: another account's look-up does not see it.
    other_account = sandbox.credentials.account_id
    assert await amili.find_creditors(other_account, organization_no=NEW_ORG_NOS[1]) == []
    current = await amili.get_creditor(creditor.id)
    assert current.is_active is False
    assert current.etag is not None

    activation = CreditorFields(
        standard_debt_description="Obetald faktura",
        sender_address=ADDRESS,
        invoice_address=ADDRESS,
        payout_details={"sek": {"bankgiro": "5050-1055"}},
    )
    with pytest.raises(ConflictError) as stale:
        await amili.activate_creditor(creditor.id, "stale-etag", activation)
    assert stale.value.status == 412
    activated = await amili.activate_creditor(creditor.id, current.etag, activation)
    assert activated.etag != current.etag
    assert (await amili.get_creditor(creditor.id)).is_active is True

    await amili.delete_creditor(creditor.id, str(activated.etag))
    assert await amili.find_creditors(account.id, organization_no=NEW_ORG_NOS[1]) == []
    assert await amili.find_account_by_org_no("5569999999") is None


async def test_sandbox_errors_map_through_the_table(sandbox: SandboxHandle, amili: AmiliClient):
    creditor = sandbox.credentials.creditor_id
    with pytest.raises(NotFoundError) as missing:
        await amili.get_case("5eed00000000000000000000")
    assert missing.value.endpoint == "/cases/{id}"
    with pytest.raises(RejectedError) as rejected:
        await amili.register_payment(
            PaymentRegistration(
                creditor=creditor, invoice_number="NO-SUCH", amount=Decimal(1), bank_transaction_date=datetime.now(UTC)
            )
        )
    assert rejected.value.status == assumptions.VALIDATION_STATUS
    assert "invoice_number" in rejected.value.issues
    with pytest.raises(AccessDenied) as foreign:  # a creditor of another account: this record, not the process
        await amili.register_invoice(invoice(sandbox.credentials.other_creditor_id, unique("F")))
    assert foreign.value.status == 403
    with pytest.raises(EndpointError) as no_endpoint:  # an endpoint the sandbox does not have
        await amili._send_json("POST", "/creditor--nothing-here", {"creditor": creditor})
    assert no_endpoint.value.status == 404
    with pytest.raises(RejectedError) as bad_file:
        await amili.upload_case_document(
            "5eed00000000000000000000", "x.pdf", b"x", "application/pdf", dotted_path="1bad"
        )
    assert bad_file.value.status == 400


async def test_faults_become_transient_errors_and_a_dropped_write_is_found_again(
    sandbox: SandboxHandle, amili: AmiliClient
):
    creditor = sandbox.credentials.creditor_id
    registered = await amili.register_invoice(invoice(creditor, unique("T")))
    assert registered.case is not None

    sandbox.set_faults(
        {"path": f"/cases/{registered.case}", "method": "GET", "rate_limit": {"burst": 1, "retry_after": 7}}
    )
    with pytest.raises(RateLimited) as limited:
        await amili.get_case(registered.case)
    assert limited.value.retry_after == 7.0

    sandbox.set_faults({"path": "/creditor--payments", "method": "POST", "error_rate": 1.0, "error_status": 502})
    with pytest.raises(TransientError) as failed:
        await amili.register_payment(
            PaymentRegistration(
                creditor=creditor, case=registered.case, amount=Decimal(1), bank_transaction_date=datetime.now(UTC)
            )
        )
    assert failed.value.status == 502
    assert failed.value.may_have_landed is True

    # Amili applies the payment, then the connection dies before the answer: reconcile by reference.
    reference = unique("event")
    sandbox.set_faults({"path": "/creditor--payments", "method": "POST", "drop_after_write_rate": 1.0})
    with pytest.raises(TransientError) as dropped:
        await amili.register_payment(
            PaymentRegistration(
                creditor=creditor,
                case=registered.case,
                amount=Decimal("10.00"),
                bank_transaction_date=datetime.now(UTC),
                creditor_payment_reference=reference,
            )
        )
    assert dropped.value.may_have_landed is True
    assert dropped.value.status is None
    sandbox.clear_faults()
    landed = await amili.find_payment_by_reference(creditor, reference)
    assert landed is not None
    assert landed.case == registered.case


async def test_a_401_from_the_sandbox_renews_the_token_once(sandbox: SandboxHandle):
    seen: list[tuple[str, str, int | None]] = []
    settings = settings_for(sandbox)
    async with AmiliClient(settings, on_response=lambda e, m, s, _t: seen.append((e, m, s))) as amili:
        [p async for p in amili.iter_partners()]
        sandbox.set_faults({"path": "/partners", "method": "GET", "error_rate": 1.0, "error_status": 401, "times": 1})
        partners = [p async for p in amili.iter_partners()]
    assert [p.id for p in partners] == [sandbox.credentials.partner_id]
    token_calls = [s for e, _m, s in seen if e == assumptions.TOKEN_PATH]
    assert token_calls == [200, 200]  # the first token and exactly one renewal
    assert [s for e, _m, s in seen if e == "/partners"] == [200, 401, 200]


async def test_a_wrong_key_is_an_auth_error(sandbox: SandboxHandle):
    creds = sandbox.credentials
    wrong = settings_for(sandbox, private_key_file=creds.other_account_key_path)
    async with AmiliClient.from_settings(wrong) as amili:
        with pytest.raises(AuthError) as refused:
            await amili.get_case("5eed00000000000000000000")
    assert refused.value.endpoint == assumptions.TOKEN_PATH
    assert refused.value.status == 401


async def test_amili_check_command(sandbox: SandboxHandle, capsys):
    assert await check.check_credentials(settings_for(sandbox), partner=True) == 0
    out = capsys.readouterr().out
    assert out.count('"ok":true') == 2
    creds = sandbox.credentials
    wrong = settings_for(sandbox, private_key_file=creds.other_account_key_path)
    assert await check.check_credentials(wrong, partner=False) == 1
    assert '"error":"AuthError"' in capsys.readouterr().out
