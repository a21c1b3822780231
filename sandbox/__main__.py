"""`python -m sandbox [--port N] [--seed FILE]`: the same as `amili-fleet sandbox`."""

from __future__ import annotations

import argparse
import sys

from sandbox import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="run the Amili sandbox on loopback")
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
