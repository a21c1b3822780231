"""Shared fixtures: each area keeps its own in tests/fixtures/ and is registered here."""

pytest_plugins = [
    "tests.fixtures.broker",
    "tests.fixtures.sandbox",
    "tests.fixtures.runtime",
    "tests.fixtures.packaging",
    "tests.fixtures.documents",
    "tests.fixtures.fleet",
]
