"""Take the README's screenshots of the example governance site in headless Chromium.

    python scripts/screenshots.py [--site DIR]

Builds the project's site (unless --site names one already built), serves it on 127.0.0.1 and
writes docs/assets/screenshots/dashboard.png and migration.png. Uses Debian's Chromium
(/usr/bin/chromium) through Playwright; no browser is downloaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import (  # noqa: E402  (the tests' helpers, shared on purpose)
    OPEN_SHADOW_ROOTS,
    build_example_site,
    chromium_browser,
    serve_directory,
)

OUT = ROOT / "docs" / "assets" / "screenshots"
SHOTS = {
    "dashboard.png": "governance/",
    "migration.png": "governance/migrations/15788671358b/",
}
VIEWPORT = {"width": 1280, "height": 860}


def take(site: Path, out: Path) -> list[Path]:
    """One PNG per entry of SHOTS, each the first screenful of its page in the light scheme."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with serve_directory(site) as base, chromium_browser() as browser:
        context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
        context.add_init_script(OPEN_SHADOW_ROOTS)
        page = context.new_page()
        for name, path in SHOTS.items():
            page.goto(base + path, wait_until="networkidle")
            page.wait_for_timeout(500)  # diagrams and charts settle
            target = out / name
            page.screenshot(path=str(target))
            written.append(target)
        context.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.site:
        written = take(args.site, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="govsite-shots-") as tmp:
            written = take(build_example_site(Path(tmp) / "site"), args.out)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
