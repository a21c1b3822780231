"""`amili-fleet run`: names split into consuming use cases and pollers; bad names and settings exit 2."""

from __future__ import annotations

import logging

import pytest

from workers.cli import main
from workers.runtime import registry
from workers.runtime.context import Context, Succeeded
from workers.runtime.polling import Poller
from workers.runtime.registry import UseCaseError, use_case
from workers.runtime.run import choose


async def _handler(event: object, ctx: Context) -> Succeeded:
    return Succeeded()


async def _poll(ctx: object) -> None:  # never run here
    return None


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


def test_names_split_into_use_cases_and_pollers():
    use_cases, pollers = choose(["register_thing", "export_things"], all_=False, pollers=POLLERS)
    assert [uc.name for uc in use_cases] == ["register_thing"]
    assert [p.name for p in pollers] == ["export_things"]
    only_poller = choose(["export_things"], all_=False, pollers=POLLERS)
    assert (only_poller[0], [p.name for p in only_poller[1]]) == ([], ["export_things"])
    everything = choose([], all_=True, pollers=POLLERS)
    assert ([uc.name for uc in everything[0]], [p.name for p in everything[1]]) == (
        ["register_thing"],
        ["export_things"],
    )


def test_unknown_name_lists_use_cases_and_pollers():
    with pytest.raises(UseCaseError, match=r"known: register_thing\); pollers: export_things"):
        choose(["register_nothing"], all_=False, pollers=POLLERS)


def test_bad_setting_exits_2_naming_the_field(monkeypatch, capsys):
    monkeypatch.setenv("WORKER_PARTITION_BUFFER", "1")
    assert main(["run", "register_thing"]) == 2
    assert "partition_buffer" in capsys.readouterr().err


def test_unknown_use_case_exits_2(capsys):
    assert main(["run", "register_nothing"]) == 2
    assert "unknown use case 'register_nothing'" in capsys.readouterr().err
