"""Eve's query rules: where (Mongo operators, dot notation, null, dates), sort, projection, paging."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sandbox.dates import Rfc1123, parse_rfc1123
from sandbox.query import QueryError, apply, parse_query
from tests.fixtures.sandbox import demo_credentials
from tests.sandbox.builders import data, invoice, post

DOCS = [
    {
        "_id": "a",
        "n": 1,
        "tag": "x",
        "sub": {"k": "v1"},
        "closed": None,
        "when": Rfc1123(parse_rfc1123("Mon, 16 Jun 2025 00:00:00 GMT")),
    },
    {
        "_id": "b",
        "n": 2,
        "tag": "y",
        "sub": {"k": "v2"},
        "closed": {"reason": "paid"},
        "when": Rfc1123(parse_rfc1123("Tue, 17 Jun 2025 00:00:00 GMT")),
    },
    {"_id": "c", "n": Decimal("2.5"), "tag": "y", "list": ["p", "q"]},
]


def ids(params: dict[str, str]) -> list[str]:
    return [d["_id"] for d in apply(parse_query(params), DOCS)[0]]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"tag": "y"}, ["b", "c"]),
        ({"n": {"$in": [1, 2]}}, ["a", "b"]),
        ({"n": {"$nin": [1]}}, ["b", "c"]),
        ({"n": {"$gt": 1, "$lte": 2.5}}, ["b", "c"]),
        ({"n": {"$gte": 2, "$lt": 2.5}}, ["b"]),
        ({"tag": {"$ne": "y"}}, ["a"]),
        ({"sub.k": "v2"}, ["b"]),
        ({"closed": None}, ["a", "c"]),  # null matches a missing field too
        ({"closed": {"$exists": False}}, ["c"]),
        ({"closed.reason": "paid"}, ["b"]),
        ({"list": "q"}, ["c"]),
        ({"when": {"$gt": "Mon, 16 Jun 2025 12:00:00 GMT"}}, ["b"]),  # compared as dates, not text
        ({"$or": [{"n": 1}, {"tag": "y", "n": 2}]}, ["a", "b"]),
    ],
)
def test_where_operators(where, expected):
    assert ids({"where": json.dumps(where)}) == expected


def test_sort_projection_and_paging():
    assert ids({"sort": "-n"}) == ["c", "b", "a"]
    assert ids({"sort": "tag,-n"}) == ["a", "c", "b"]
    assert ids({"sort": '[["n", -1]]'}) == ["c", "b", "a"]
    page, total = apply(parse_query({"max_results": "1", "page": "2", "sort": "n"}), DOCS)
    assert (total, [d["_id"] for d in page]) == (3, ["b"])
    assert apply(parse_query({"projection": '{"sub.k": 1}'}), DOCS)[0][0] == {"_id": "a", "sub": {"k": "v1"}}
    assert "sub" not in apply(parse_query({"projection": '{"sub": 0}'}), DOCS)[0][0]


def test_max_results_is_clamped_to_the_documented_limit():
    assert parse_query({"max_results": "500"}).max_results == 100
    assert parse_query({}).max_results == 25


@pytest.mark.parametrize(
    "params",
    [
        {"where": "{bad"},
        {"where": '{"n": {"$regex": "x"}}'},
        {"page": "0"},
        {"max_results": "-1"},
        {"projection": '{"a": 1, "b": 0}'},
        {"where": "[1]"},
        {"where": "[" * 3000 + "]" * 3000},
        {"where": '{"a": ' * 30 + "1" + "}" * 30},
    ],
)
def test_malformed_queries_are_rejected_with_the_parameter_named(params):
    with pytest.raises(QueryError) as err:
        parse_query(params)
    assert err.value.param == next(iter(params))


def test_queries_over_http_page_and_watermark(account_client):
    # Given 30 invoices of one creditor
    creditor = demo_credentials().creditor_id
    for n in range(30):
        assert post(account_client, "/invoice--registrations", invoice(creditor, f"Q-{n}")).status_code == 201

    # Then pages follow Eve's envelope and the _updated watermark filter works as pollers use it
    first = data(account_client.get("/cases", params={"max_results": "1000", "sort": "-_created"}))
    assert first["_meta"] == {"total": 30, "max_results": 100, "page": 1}
    page2 = data(account_client.get("/cases", params={"max_results": "25", "page": "2"}))
    assert len(page2["_items"]) == 5
    where = json.dumps({"debt.invoice_number": {"$in": ["Q-1", "Q-2"]}, "closed": None})
    found = data(account_client.get("/cases", params={"where": where, "projection": '{"debt.invoice_number": 1}'}))
    assert sorted(i["debt"]["invoice_number"] for i in found["_items"]) == ["Q-1", "Q-2"]
    assert set(found["_items"][0]) == {"_id", "_created", "_updated", "_etag", "debt"}
    later = json.dumps({"_updated": {"$gt": first["_items"][0]["_updated"]}})
    assert data(account_client.get("/cases", params={"where": later}))["_meta"]["total"] == 0
    bad = account_client.get("/cases", params={"where": "{oops"})
    assert bad.status_code == 400
    assert "where" in bad.json()["_issues"]
