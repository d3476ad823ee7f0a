"""The governance site: which pages exist, what they say, and how they are published.

`build_pages` renders every page as Markdown in memory; `plugin` (the MkDocs plugin) and `build`
(`govsite build` / `govsite generate`) publish them. `quarter_of` and `review_pack` give the
quarterly review's facts to the site and to `govsite review` alike.
"""

from .pages import GeneratedPage, build_pages, nav_fragment
from .review import ReviewPack, quarter_of, review_pack

__all__ = [
    "GeneratedPage",
    "ReviewPack",
    "build_pages",
    "nav_fragment",
    "quarter_of",
    "review_pack",
]
