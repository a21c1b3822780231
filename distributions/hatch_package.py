"""Hatch build hook: a distribution under distributions/ ships a package that lives two levels up.

A regular wheel copies the package in (`package` in the hook's settings names it). An editable install must
not: hatchling applies a static `force-include` to editable wheels as well, which left a frozen copy of the
package in site-packages that shadowed the tree (the `.pth` entry comes after site-packages), so an edit
to schemas/ was not seen by `.venv/bin/amili-fleet`. The editable wheel carries only the `.pth` file
(`dev-mode-dirs`), and the tree is what every import reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PackageFromTheTree(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        package = str(self.config["package"])
        source = Path(self.root, "..", "..", package).resolve()
        if not source.is_dir():
            raise FileNotFoundError(f"{package}/ is not at {source}: build the wheel from a checkout of the repository")
        build_data["force_include"][str(source)] = package
