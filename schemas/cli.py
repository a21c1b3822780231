"""`amili-fleet schemas`: export the contract (JSON Schemas + AsyncAPI) or check a directory against it.

amili-fleet schemas export DIR          write DIR/asyncapi.json and DIR/json-schema/<type>.json
amili-fleet schemas export DIR --check  write nothing; exit 1 when DIR differs from the models
amili-fleet schemas list                the catalog: use case, topic, event type; then the shared streams
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schemas import export
from schemas.catalog import OUTCOMES_TOPIC, POLLERS, STREAMS, USE_CASES
from schemas.outcomes import OUTCOME_TYPES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export_parser = sub.add_parser("export", help="write one JSON Schema per message and the AsyncAPI document")
    export_parser.add_argument("directory", type=Path, metavar="DIR")
    export_parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 if stale")
    sub.add_parser("list", help="print the event catalog")


def stale_files(directory: Path) -> list[str]:
    """Generated files that are missing, different or extra under `directory`."""
    expected = export.render()
    problems = [
        name
        for name, text in expected.items()
        if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text
    ]
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*.json")} if directory.is_dir() else set()
    problems += sorted(present - set(expected))
    return problems


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        for u in USE_CASES.values():
            print(f"{u.name:30} {u.topic:32} {u.event_type}")
        for p in POLLERS.values():
            print(f"{p.name:30} {p.topic:32} {p.event_type}")
        for status, event_type in OUTCOME_TYPES.items():
            print(f"{'(outcome ' + status + ')':30} {OUTCOMES_TOPIC:32} {event_type}")
        for stream in STREAMS.values():
            if stream.name not in USE_CASES:  # a use case's own stream is its line above
                for event_type, name in stream.types.items():
                    print(f"{name:30} {stream.topics[0]:32} {event_type}")
        return 0
    if args.check:
        problems = stale_files(args.directory)
        for name in problems:
            print(f"stale: {name}", file=sys.stderr)
        return 1 if problems else 0
    written = export.write(args.directory)
    print(f"wrote {len(written)} files under {args.directory}")
    return 0
