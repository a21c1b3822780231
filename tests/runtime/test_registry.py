"""The use-case registry: options are validated at declaration, names are looked up strictly."""

from __future__ import annotations

import pytest

from workers.runtime import registry
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import UseCaseError, select, use_case


async def _handler(event: object, ctx: Context) -> Succeeded:
    return Succeeded()


@pytest.fixture(autouse=True)
def clean_registry(monkeypatch):
    registry.discover()  # the real use cases register in the real registry, not in this test's
    monkeypatch.setattr(registry, "_REGISTRY", {})


def test_declaration_registers_topics_and_options():
    use_case("register_thing", consumes="billing.thing", max_attempts=3, reconcile="always", concurrency=8)(_handler)
    (uc,) = select(["register_thing"])
    assert (uc.consumes, uc.publishes, uc.dead_letter_topic) == ("billing.thing", "amili.outcomes", "billing.thing.dlq")
    assert (uc.options.max_attempts, uc.options.reconcile, uc.options.concurrency) == (3, "always", 8)


def test_unknown_option_is_an_error_naming_it():
    with pytest.raises(UseCaseError, match="retries"):
        use_case("register_thing", consumes="billing.thing", retries=3)


def test_bad_option_value_is_an_error_naming_it():
    with pytest.raises(UseCaseError, match="concurrency"):
        use_case("register_thing", consumes="billing.thing", concurrency=0)
    with pytest.raises(UseCaseError, match="reconcile"):
        use_case("register_thing", consumes="billing.thing", reconcile="sometimes")


def test_two_functions_under_one_name_are_refused():
    use_case("register_thing", consumes="billing.thing")(_handler)

    async def other(event: object, ctx: Context) -> Succeeded:
        return Succeeded()

    with pytest.raises(UseCaseError, match="declared twice"):
        use_case("register_thing", consumes="billing.thing")(other)


def test_unknown_use_case_lists_the_known_ones():
    use_case("register_thing", consumes="billing.thing")(_handler)
    with pytest.raises(UseCaseError, match="known: register_thing"):
        select(["register_other"])
    with pytest.raises(UseCaseError, match="at least one"):
        select([])
    assert [uc.name for uc in select([], all_=True)] == ["register_thing"]


def test_custom_dead_letter_topic():
    use_case("register_thing", consumes="billing.thing", dead_letter_topic="parking")(_handler)
    assert select(["register_thing"])[0].dead_letter_topic == "parking"
