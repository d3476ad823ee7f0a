"""Work that several versions of one versioned build share: rendered pages and search entries.

Most of a governance site's build time is MkDocs turning each page's Markdown into HTML and
the search plugin taking that HTML apart again. In a versioned build most pages are the same in
every release (an old migration's page does not change), so a page whose generated Markdown is
byte for byte the one an earlier version rendered at the same address takes that version's HTML,
and a page whose HTML and title are the same takes its search entries.

Only generated pages are shared: their links point at pages of the same version, which sit at
the same addresses in every version, so the same Markdown gives the same HTML. Everything that
depends on the version's other pages (navigation, the theme's templates, link rewriting in
`on_page_content`) still runs for every page. The memory lives on one `SharedRenders`, made for
one versioned build: nothing is shared between builds or processes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SharedRenders:
    """Rendered pages and search entries by what they were made from, for one versioned build."""

    pages: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    entries: dict[tuple[str, str, str], list[dict]] = field(default_factory=dict)
    rendered: int = 0  # pages MkDocs rendered
    reused: int = 0  # pages that took an earlier version's HTML

    def attach(self, page: Any, config: Any) -> None:
        """Let `page` (a generated page of this build) take an earlier version's HTML."""
        if page.file.generated_by is None:
            return
        render = page.render

        def shared_render(config: Any, files: Any) -> None:
            key = (page.file.src_uri, page.markdown or "")
            done = self.pages.get(key)
            if done is None:
                render(config, files)
                self.rendered += 1
                self.pages[key] = (page.content, page.toc, page._title_from_render,
                                   page.present_anchor_ids)
                return
            self.reused += 1
            page.content, page.toc, page._title_from_render, anchors = done
            page.present_anchor_ids = set(anchors or ())
            page.links_to_anchors = {}  # checked when the page was first rendered

        page.render = shared_render  # this page object only; MkDocs makes new ones every build
        self._attach_search(config)

    def _attach_search(self, config: Any) -> None:
        """Let the theme's search index take the entries of a page indexed before."""
        search = config.plugins.get("material/search") or config.plugins.get("search")
        index = getattr(search, "search_index", None)
        if index is None or getattr(index, "govsite_shared", False):
            return
        add = index.add_entry_from_context

        def shared_add(page: Any) -> None:
            if page.file.generated_by is None:
                add(page)
                return
            key = (page.url, page.content or "", str(page.title))
            done = self.entries.get(key)
            if done is None:
                before = len(index.entries)
                add(page)
                self.entries[key] = copy.deepcopy(index.entries[before:])
                return
            index.entries.extend(copy.deepcopy(done))

        index.add_entry_from_context = shared_add
        index.govsite_shared = True


__all__ = ["SharedRenders"]
