"""What the site tests share: building a site, serving it on 127.0.0.1, driving Chromium.

The browser is Debian's Chromium (`/usr/bin/chromium`) driven by Playwright; no browser is ever
downloaded. Its background services are switched off so that every request a page makes is one
the page itself asked for, which is what the no-outside-request assertions measure.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "attribution-platform"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]
LOCAL_HOST = "127.0.0.1"


# --------------------------------------------------------------------------- building


def run_python(*args: str, cwd: Path = ROOT, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run `python ARGS...` with this interpreter; output captured as text."""
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=300,
    )


def mkdocs_build(
    config_file: Path, site_dir: Path, env: Optional[dict] = None
) -> subprocess.CompletedProcess:
    """`mkdocs build -f CONFIG -d SITE`, exactly as a user runs it."""
    return run_python(
        "-m", "mkdocs", "build", "-f", str(config_file), "-d", str(site_dir), env=env
    )


def make_example_history(dest: Path) -> Path:
    """The example as a git repository with its dated history (`examples/make_history.py`)."""
    result = run_python(str(ROOT / "examples" / "make_history.py"), "--dest", str(dest))
    assert result.returncode == 0, f"make_history failed:\n{result.stdout}\n{result.stderr}"
    return dest


def build_example_site(site_dir: Path) -> Path:
    """Build the project's own site (hand-written docs + the example's governance pages).

    The example's history is made afresh beside the site, so the build reads exactly what the
    project ships, whatever is left in build/ from earlier runs.
    """
    repo = make_example_history(site_dir.parent / "example-repo")
    result = mkdocs_build(ROOT / "mkdocs.yml", site_dir, env={"GOVSITE_EXAMPLE_REPO": str(repo)})
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}\n{result.stderr}"
    return site_dir


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` with the hash of its bytes: equal digests, identical trees."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# --------------------------------------------------------------------------- serving


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- the browser


def require_chromium() -> Path:
    """Debian's Chromium, or a test failure that says how to get it (never a skip)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(apt-get install chromium); Playwright's own browser downloads are not used",
            pytrace=False,
        )
    return CHROMIUM


@contextlib.contextmanager
def chromium_browser() -> Iterator[object]:
    """A headless Chromium driven by Playwright, closed afterwards."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


# Material renders each diagram into a closed shadow root; opening it lets a test see the SVG.
OPEN_SHADOW_ROOTS = """
(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attach.call(this, Object.assign({}, init, { mode: "open" }));
  };
})();
"""


@dataclass
class PageWatch:
    """What a page did while a test looked at it: requests, console errors, uncaught errors."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @classmethod
    def attach(cls, page) -> "PageWatch":
        watch = cls()
        page.on("request", lambda request: watch.requests.append(request.url))
        # a request cut short because the page moved on (a redirect page) is not a failure;
        # outside requests are still caught from the "request" events above
        page.on(
            "requestfailed",
            lambda request: None if "ERR_ABORTED" in (request.failure or "")
            else watch.failed.append(request.url),
        )
        page.on(
            "console",
            lambda message: watch.console_errors.append(message.text)
            if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
        return watch

    def outside_requests(self) -> list[str]:
        """Requests to anything but the local server (data: and blob: URLs stay in the page)."""
        outside = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname != LOCAL_HOST:
                outside.append(url)
        return outside

    def problems(self) -> list[str]:
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"uncaught error: {text}" for text in self.page_errors]
            + [f"failed request: {url}" for url in self.failed]
            + [f"outside request: {url}" for url in self.outside_requests()]
        )


# --------------------------------------------------------------------------- links


class _LinkCollector(HTMLParser):
    """Collects link targets (`href`, `src`) and element ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"])
        for attribute in ("href", "src"):
            if values.get(attribute) and tag in ("a", "link", "script", "img", "source", "iframe"):
                self.links.append(values[attribute])

    handle_startendtag = handle_starttag


@dataclass(frozen=True)
class BrokenLink:
    page: str
    href: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.href} ({self.reason})"


def _parse(path: Path) -> _LinkCollector:
    collector = _LinkCollector()
    collector.feed(path.read_text(encoding="utf-8", errors="replace"))
    collector.close()
    return collector


def _target_file(site: Path, url_path: str) -> Optional[Path]:
    candidate = site / unquote(url_path).lstrip("/")
    if url_path.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def broken_internal_links(site: Path) -> tuple[int, list[BrokenLink]]:
    """Check every internal link of every HTML page: the file exists and so does the anchor.

    Returns how many links were checked and the broken ones. Links with a scheme (`https:`,
    `mailto:`) point outside the site and are not followed.
    """
    parsed: dict[Path, _LinkCollector] = {}

    def page(path: Path) -> _LinkCollector:
        if path not in parsed:
            parsed[path] = _parse(path)
        return parsed[path]

    checked = 0
    broken: list[BrokenLink] = []
    for html_file in sorted(site.rglob("*.html")):
        base = "/" + html_file.relative_to(site).as_posix()
        for href in page(html_file).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                continue
            checked += 1
            resolved = urlsplit(urljoin(base, href))
            target = html_file if not parts.path else _target_file(site, resolved.path)
            rel = html_file.relative_to(site).as_posix()
            if target is None:
                broken.append(BrokenLink(rel, href, "no such file"))
                continue
            fragment = unquote(resolved.fragment)
            if fragment and target.suffix == ".html" and fragment not in page(target).ids:
                broken.append(BrokenLink(rel, href, f"no element with id {fragment!r}"))
    return checked, broken


# --------------------------------------------------------------------------- hostile text

#: Script that would set `window.__pwned` in every form a text input could carry it.
PWN_SCRIPT = "<script>window.__pwned=1</script>"
PWN_IMG = '<img src=x onerror="window.__pwned=2">'
PWN_DETAILS = '<details open ontoggle="window.__pwned=3"><summary>s</summary>t</details>'
PWN_LINK = "[click me](javascript:window.__pwned=4)"
PWN_SVG = "<svg/onload=window.__pwned=5>"
PWN_ALL = f"{PWN_SCRIPT} {PWN_IMG} {PWN_SVG}"
#: Release tags whose names are markup (git allows `<`, `>`, `=` and `/` in tag names); an
#: event handler needs a `/` or a space, and a tag with a `/` names no version folder.
PWN_TAG = "v1<svg/onload=window.__pwned=6>"
MARKUP_TAG = "v2<b>"
RELEASE_TAG = "v1.0.0"  # the one tag above that names a version, so it alone is built


def hostile_text_repository(root: Path) -> Path:
    """A git repository whose every text input carries script: site name, migration TITLE, ADR
    body, emergency register, a policy document (raw HTML and front matter) and a release tag."""
    from conftest import migration

    files = {
        "govsite.toml": f"site_name = {json_string('Governance ' + PWN_IMG)}\n",
        "alembic/versions/e1.py": migration("e1", header=(
            "MIGRATION_ID: 202601010001\n"
            f"TITLE: {PWN_ALL}\n"
            "CHANGE_TYPE: Column\nRISK_LEVEL: Low\nFORWARD_ONLY: No\n"
            f"ROLLBACK_STRATEGY: Run the downgrade. {PWN_SCRIPT}\n"
            "INCIDENT: INC-1\n"
        )),
        "docs/adr/0001-hostile.md": (
            f"# ADR-001: Hostile {PWN_SCRIPT}\n\n## Status\n\nAccepted\n\n## Context\n\n"
            f"{PWN_ALL}\n\n{PWN_DETAILS}\n\n{PWN_LINK}\n\n"
            '<a href="javascript:window.__pwned=7">raw link</a> {: onclick="window.__pwned=8" }\n\n'
            "!!! note \"Kept\"\n    An admonition.\n\n"
            "| a | b |\n| --- | --- |\n| 1 | 2 |\n\n"
            "```mermaid\ngraph TD\n  A[\"<img src=x onerror=window.__pwned=9>\"] --> B\n"
            "  click A \"javascript:window.__pwned=10\"\n```\n"
        ),
        "db/schema/EXCEPTIONS.md": (
            "# Exceptions Register\n\n## Emergency Change: 2026-01-01 10:00 UTC\n\n"
            f"**Incident**: INC-1 {PWN_IMG}\n**Urgency**: HIGH\n\n"
            f"## Immediate Action Taken\n\n{PWN_DETAILS}\n\n{PWN_LINK}\n\n"
            f"## Retroactive Canonical Spec Update\n\nMigration 202601010001 {PWN_SCRIPT}\n\n"
            f"## Post-Incident Review\n\nHeld on 2026-01-02. {PWN_ALL}\n"
        ),
        "docs/RUNBOOK-db.md": (
            f"---\ntitle: {json_string('Runbook ' + PWN_IMG)}\n"
            f"description: {json_string(PWN_SCRIPT)}\n---\n\n"
            f"# Runbook {PWN_SCRIPT}\n\n**Status**: Approved\n**Next Review**: 2099-01-01\n\n"
            f"{PWN_ALL}\n\n{PWN_DETAILS}\n\n{PWN_LINK}\n\n"
            '<a href="javascript:window.__pwned=11">raw link</a>\n\n'
            '<iframe srcdoc="<script>parent.__pwned=12</script>"></iframe>\n'
        ),
    }
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.name=Dana", "-c", "user.email=dana@example.com"]
    environment = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-01T12:00:00Z",
                   "GIT_COMMITTER_DATE": "2026-01-01T12:00:00Z"}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "hostile"],
                    ["tag", PWN_TAG], ["tag", MARKUP_TAG], ["tag", RELEASE_TAG]):
        subprocess.run(git + command, cwd=root, check=True, env=environment, capture_output=True)
    return root


def json_string(text: str) -> str:
    """A double-quoted TOML / YAML string (JSON string syntax is valid in both)."""
    import json

    return json.dumps(text)


# --------------------------------------------------------------------------- static checks


class _RunnableParts(HTMLParser):
    """What in a page could run: script bodies, event handlers, script URLs, frames."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_script = False
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.in_script = tag == "script"
        if tag in ("iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            compact = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if name.startswith("on") or name == "srcdoc" or compact.startswith(("javascript:", "vbscript:")):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script and ("alert(" in data or "__pwned" in data):
            self.found.append(f"<script>{data[:60]}")


def runnable_parts(page_html: str) -> list[str]:
    """What in a page could run (script bodies that set the test's flag or alert, event
    handlers, script URLs, frames); empty for a page that runs nothing it was given."""
    scanner = _RunnableParts()
    scanner.feed(page_html)
    return scanner.found
