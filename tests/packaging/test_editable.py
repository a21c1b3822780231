"""The dev install is editable for all three distributions: every import reads the tree, never a copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.packaging.distributions import DISTRIBUTIONS, ROOT


def test_a_console_script_imports_every_package_from_the_tree_not_from_a_copy_in_site_packages(tmp_path: Path):
    # -I: no current directory and no PYTHONPATH on sys.path, as for `.venv/bin/amili-fleet` started elsewhere.
    packages = sorted(d.package for d in DISTRIBUTIONS.values())
    script = "import importlib, sys; print('\\n'.join(importlib.import_module(p).__file__ for p in sys.argv[1:]))"
    found = subprocess.run(
        [sys.executable, "-I", "-c", script, *packages], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split()

    assert [Path(f).resolve() for f in found] == [ROOT / p / "__init__.py" for p in packages]
