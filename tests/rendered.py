"""What a reader sees of the Markdown a page sends: the dashboard escapes every value it puts
into a text (dashboard.i18n.escape), so `\\-4\\.0 pp` in the source reads `-4.0 pp` on screen."""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """The text a Markdown source renders as, escapes resolved (and without the invisible word
    joiners that keep a bare address from becoming a link)."""
    return _ESCAPE.sub(r"\1", markdown).replace("\u2060", "")
