"""`amili-fleet run`: names split into consuming use cases and pollers; bad names and settings exit 2."""

from __future__ import annotations

import logging

import pytest

from workers.cli import main
from workers.runtime import registry
from workers.runtime.context import Context, Succeeded
from workers.runtime.polling import Poller
from workers.runtime.registry import UseCaseError, use_case
from workers.runtime.routes import Route, build_routes
from workers.runtime.run import choose
from workers.runtime.settings import WorkerSettings


async def _handler(event: object, ctx: Context) -> Succeeded:
    return Succeeded()


async def _poll(ctx: object) -> None:  # never run here
    return None


#: The real use cases, for the tests that list them (the fixture below gives every test an empty registry).
REAL_USE_CASES = registry.discover()
POLLERS = {"export_things": Poller("export_things", "amili.things", _poll, 60)}  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def one_use_case(monkeypatch):
    # Import the real use cases first, so they land in the real registry and not in this test's.
    registry.discover()
    monkeypatch.setattr(registry, "_REGISTRY", {})
    use_case("register_thing", consumes="billing.thing")(_handler)
    # `run` configures the root logger for the process; give the test process its own back
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _routes() -> dict[str, Route]:
    return build_routes(registry.registered(), WorkerSettings())


def test_names_split_into_streams_and_pollers():
    streams, pollers = choose(["register_thing", "export_things"], all_=False, routes=_routes(), pollers=POLLERS)
    assert [r.name for r in streams] == ["register_thing"]
    assert [p.name for p in pollers] == ["export_things"]
    only_poller = choose(["export_things"], all_=False, routes=_routes(), pollers=POLLERS)
    assert (only_poller[0], [p.name for p in only_poller[1]]) == ([], ["export_things"])
    everything = choose([], all_=True, routes=_routes(), pollers=POLLERS)
    assert ([r.name for r in everything[0]], [p.name for p in everything[1]]) == (
        ["register_thing"],
        ["export_things"],
    )


def test_unknown_name_lists_streams_and_pollers():
    with pytest.raises(UseCaseError, match=r"known: register_thing\); pollers: export_things"):
        choose(["register_nothing"], all_=False, routes=_routes(), pollers=POLLERS)
    with pytest.raises(UseCaseError, match="at least one"):
        choose([], all_=False, routes=_routes(), pollers=POLLERS)


def test_bad_setting_exits_2_naming_the_field(monkeypatch, capsys):
    monkeypatch.setenv("WORKER_PARTITION_BUFFER", "1")
    assert main(["run", "register_thing"]) == 2
    assert "partition_buffer" in capsys.readouterr().err


def test_unknown_stream_exits_2(capsys):
    assert main(["run", "register_nothing"]) == 2
    assert "unknown stream 'register_nothing'" in capsys.readouterr().err


def test_bad_stream_setting_exits_2_naming_the_stream(monkeypatch, capsys):
    monkeypatch.setenv("WORKER_STREAMS", '{"things": {"topics": ["erp.things"]}}')
    assert main(["run", "register_thing"]) == 2
    assert "WORKER_STREAMS.things: a new stream needs both topics and types" in capsys.readouterr().err


def test_list_shows_each_stream_with_what_it_carries(monkeypatch, capsys):
    monkeypatch.setattr(registry, "_REGISTRY", dict(REAL_USE_CASES))
    assert main(["run", "--list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = lines.index("claims\tconsumes billing.claims (group amili-fleet.claims, dead letters billing.claims.dlq)")
    carried = [line.strip() for line in lines[start + 1 : start + 9]]
    assert carried[0] == "billing.invoice-issued.v1 -> register_invoice"  # in the catalog's order
    assert "billing.payment-received.v1 -> register_payment" in carried
    assert not lines[start + 9].startswith("\t")  # eight types, no more
    assert "register_invoice\tconsumes billing.invoice-issued (group amili-fleet.register_invoice," in out
    assert "export_closed_cases\tpolls Amili" in out
