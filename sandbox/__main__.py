"""`python -m sandbox` / `amili-fleet-sandbox [--port N] [--seed FILE]`: the same as `amili-fleet sandbox`."""

from __future__ import annotations

import argparse
import os
import sys

from sandbox import cli


def main(argv: list[str] | None = None) -> int:
    script = os.path.basename(sys.argv[0])
    prog = "python -m sandbox" if script == "__main__.py" else script
    parser = argparse.ArgumentParser(prog=prog, description="run the Amili sandbox on loopback")
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
