"""The wheel carries the front-end files the site serves, so an install from a checkout or a git
URL (`pip install .`, `pip install git+URL`) builds sites that make no outside request.

mermaid and tablesort come from the npm registry and are never committed: the wheel build copies
them from `$GOVSITE_VENDOR_DIR`, else `.cache/npm` in the checkout, and runs
`scripts/setup_assets.sh` (npm) first when they are not there. A build that cannot get them
stops with a message saying how, instead of making a wheel whose sites fetch nothing offline.
Everything else about the package is in pyproject.toml.
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

HERE = Path(__file__).resolve().parent
PACKAGED = Path("generator") / "site" / "assets" / "vendor"  # where the plugin looks first
REQUIRED = ("mermaid/mermaid.min.js", "tablesort/tablesort.min.js", "tablesort/tablesort.number.min.js")


def vendor_directory() -> Path:
    """The folder holding the npm files, fetched with scripts/setup_assets.sh when missing."""
    explicit = os.environ.get("GOVSITE_VENDOR_DIR")
    folder = Path(explicit) if explicit else HERE / ".cache" / "npm"
    if all((folder / name).is_file() for name in REQUIRED):
        return folder
    script = HERE / "scripts" / "setup_assets.sh"
    try:
        subprocess.run(["bash", str(script), str(folder)], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SetupError(
            f"govsite: the wheel must carry mermaid and tablesort, and {folder} does not hold "
            f"them ({exc}). Run `bash scripts/setup_assets.sh` in the checkout (needs npm and "
            "the npm registry), or set GOVSITE_VENDOR_DIR to a folder that holds them, then "
            "build again."
        ) from None
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise SetupError(f"govsite: {folder} lacks {', '.join(missing)} after scripts/setup_assets.sh")
    return folder


class build_py_with_vendor_assets(build_py):
    """`build_py`, plus the npm files copied into the built package (not the source tree)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install serves them from the checkout's .cache/npm
        source = vendor_directory()
        target = Path(self.build_lib) / PACKAGED
        for name in ("mermaid", "tablesort"):
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source / name, target / name, ignore=shutil.ignore_patterns(".*"))


setup(cmdclass={"build_py": build_py_with_vendor_assets})
