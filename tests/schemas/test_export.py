"""The exported contract: identical to the checked-in copy, and its JSON Schemas accept the examples."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from schemas import cli, export
from schemas.catalog import CLAIM_STREAM, STREAMS, TOPICS, USE_CASES
from workers.cli import main

GENERATED = Path(export.__file__).parent / "generated"
EXAMPLES = Path(export.__file__).parent / "examples"
RENDERED = export.render()


def test_checked_in_copy_is_current():
    stale = cli.stale_files(GENERATED)
    assert stale == [], f"run `amili-fleet schemas export schemas/generated` (stale: {stale})"


def test_cli_export_writes_the_same_files(tmp_path, capsys):
    assert main(["schemas", "export", str(tmp_path)]) == 0
    written = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in tmp_path.rglob("*.json")}
    assert written == {name: (GENERATED / name).read_text() for name in written}
    assert set(written) == set(RENDERED)
    assert "wrote" in capsys.readouterr().out


def test_cli_check_reports_a_stale_copy(tmp_path):
    export.write(tmp_path)
    assert main(["schemas", "export", str(tmp_path), "--check"]) == 0
    (tmp_path / export.ASYNCAPI_FILE).write_text("{}\n")
    (tmp_path / "json-schema" / "extra.json").write_text("{}\n")
    assert cli.stale_files(tmp_path) == [export.ASYNCAPI_FILE, "json-schema/extra.json"]
    assert main(["schemas", "export", str(tmp_path), "--check"]) == 1


@pytest.mark.parametrize("name", sorted(n for n in RENDERED if n.startswith("json-schema/")))
def test_json_schema_validates_its_example_and_rejects_a_broken_one(name):
    schema = json.loads(RENDERED[name])
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    example = json.loads((EXAMPLES / Path(name).name).read_text())
    assert list(validator.iter_errors(example)) == []
    assert not validator.is_valid({**example, "type": "se.amili-fleet.billing.unknown.v1"})
    assert not validator.is_valid({k: v for k, v in example.items() if k != "data"})
    assert not validator.is_valid({**example, "data": {**example["data"], "unexpected_field": 1}})


def test_json_schema_rejects_a_foreign_currency():
    schema = json.loads(RENDERED[f"json-schema/{USE_CASES['register_payment'].event_type}.json"])
    example = json.loads((EXAMPLES / f"{USE_CASES['register_payment'].event_type}.json").read_text())
    example["data"]["currency"] = "EUR"
    assert not jsonschema.Draft202012Validator(schema).is_valid(example)


def test_asyncapi_describes_every_topic_with_key_binding_and_example():
    document = json.loads(RENDERED[export.ASYNCAPI_FILE])
    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert set(TOPICS) | {stream.dead_letter_topic for stream in STREAMS.values()} == addresses
    for name, message in document["components"]["messages"].items():
        if name == "DeadLetter":
            continue
        assert message["bindings"]["kafka"]["key"]["pattern"]
        assert message["examples"][0]["payload"]["type"] == message["name"]
        ref = message["payload"]["$ref"].rsplit("/", 1)[1]
        assert ref in document["components"]["schemas"]
    for operation in document["operations"].values():
        assert operation["action"] in {"send", "receive"}
        assert operation["channel"]["$ref"].split("/")[-1] in document["channels"]


def test_asyncapi_payload_schemas_validate_the_examples():
    document = json.loads(RENDERED[export.ASYNCAPI_FILE])
    for message in document["components"]["messages"].values():
        if "$ref" not in message["payload"]:
            continue
        schema = {**message["payload"], "components": document["components"]}
        for example in message["examples"]:
            jsonschema.validate(example["payload"], schema, cls=jsonschema.Draft202012Validator)


def test_asyncapi_describes_the_claim_stream_with_every_claim_message():
    document = json.loads(RENDERED[export.ASYNCAPI_FILE])
    (channel_id,) = [cid for cid, c in document["channels"].items() if c["address"] == "billing.claims"]
    channel = document["channels"][channel_id]
    carried = {document["components"]["messages"][name]["name"] for name in channel["messages"]}
    assert carried == set(CLAIM_STREAM.types)
    assert len(carried) == 8
    assert "binary mode" in channel["description"]
    operation = document["operations"][f"receive_{channel_id}"]
    assert operation["action"] == "receive"
    assert len(operation["messages"]) == 8
    dead = [c for c in document["channels"].values() if c["address"] == "billing.claims.dlq"]
    assert [list(c["messages"]) for c in dead] == [["DeadLetter"]]
    # The per-type channels still carry their one message each.
    invoices = next(c for c in document["channels"].values() if c["address"] == USE_CASES["register_invoice"].topic)
    assert list(invoices["messages"]) == ["InvoiceIssued"]
