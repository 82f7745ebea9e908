"""Great Expectations' Data Docs as the Data quality page embeds them: styled, offline, and
without the vendor's logo, footer and calls to action.

A Data Docs page links its styles (Bootstrap, Font Awesome) and its logo from CDNs, and ends in
a newsletter footer and a "how to" banner. Inside the bank's dashboard, usually without internet,
that shows an unstyled page with a broken image. `for_dashboard` drops everything fetched from
another host and the footers, and puts a small stylesheet of its own in their place (tables,
cards, badges and the navigation the pages use), so the page reads the same offline.
`checks.docs.page_without_scripts` has already removed the scripts.
"""

from __future__ import annotations

import re

_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>", re.IGNORECASE)
_REMOTE_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"']https?://[^>]*>", re.IGNORECASE | re.DOTALL)
_FOOTER = re.compile(r"<footer\b.*?</footer>", re.IGNORECASE | re.DOTALL)
_HEAD_END = re.compile(r"</head>", re.IGNORECASE)

STYLE = """<style id="collections-data-docs">
body { font-family: "Source Sans Pro", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;
  font-size: 14px; color: #262730; margin: 0; padding: 12px; background: #fff; line-height: 1.45; }
a { color: #1f4e79; }
h1, h2, h3, h4, h5 { font-weight: 600; margin: 0.6em 0 0.3em; }
.container-fluid, .container { width: 100%; padding: 0; }
.row { display: flex; flex-wrap: wrap; gap: 12px; }
.col-12, .col-md-12, .col-lg-12 { flex: 1 1 100%; }
.col-md-2, .col-lg-2, .col-md-3, .col-lg-3 { flex: 0 0 220px; }
.col-md-9, .col-lg-9, .col-md-10, .col-lg-10 { flex: 1 1 500px; min-width: 0; }
.card { border: 1px solid #e0e0e0; border-radius: 6px; margin-bottom: 12px; }
.card-header { background: #f5f6f8; padding: 8px 12px; border-bottom: 1px solid #e0e0e0; }
.card-body { padding: 8px 12px; overflow-x: auto; }
table, .table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { border-bottom: 1px solid #e6e6e6; padding: 4px 8px; text-align: left;
  vertical-align: top; }
thead th { background: #f5f6f8; }
.badge { display: inline-block; padding: 1px 6px; border-radius: 8px; font-size: 12px; }
.badge-success, .text-success { color: #1b5e20; } .badge-success { background: #e8f5e9; }
.badge-danger, .text-danger { color: #b71c1c; } .badge-danger { background: #ffebee; }
.badge-warning { background: #fff8e1; color: #8d6e00; }
.badge-info, .badge-secondary { background: #eceff1; color: #37474f; }
.alert { padding: 8px 12px; border-radius: 6px; background: #f5f6f8; margin: 6px 0; }
.nav, .list-group { list-style: none; padding: 0; margin: 0; }
.nav-link, .list-group-item { display: block; padding: 4px 8px; border-radius: 4px; }
.navbar { display: flex; align-items: center; gap: 12px; border-bottom: 1px solid #e0e0e0;
  padding-bottom: 8px; margin-bottom: 12px; }
.fixed-bottom, .invisible, .sr-only, .cooltip .top { display: none !important; }
.d-none { display: none; } .d-md-block { display: block !important; }
.d-md-inline-flex { display: inline-flex !important; }
.breadcrumb { list-style: none; padding: 0; margin: 0; gap: 6px; }
code, pre { background: #f5f6f8; border-radius: 4px; padding: 0 3px; font-size: 13px; }
i.fas, i.far, i.fa { display: none; }
</style>"""


def for_dashboard(html: str) -> str:
    """The page without anything from another host and without the footers, with the dashboard's
    own stylesheet."""
    cleaned = _FOOTER.sub("", _REMOTE_IMAGE.sub("", _REMOTE_LINK.sub("", html)))
    if _HEAD_END.search(cleaned):
        return _HEAD_END.sub(lambda _: STYLE + "</head>", cleaned, count=1)
    return STYLE + cleaned
