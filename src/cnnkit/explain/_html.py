"""The report's HTML: one self-contained page (inline CSS, PNGs as data URIs).

Nothing on the page points outside it, so it opens from disk, offline, and can be
mailed as one file. Every piece of text goes through ``html.escape``.

Example:
    >>> page(["<p>hi</p>"], "T", "en", [("s", "S")]).count("<section")
    0
    >>> image(b"\\x89PNG", "alt")[:42]
    '<img alt="alt" src="data:image/png;base64,'
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       margin: 0; color: #1d2330; background: #f5f6f8; line-height: 1.45; }
header { background: #1d2330; color: #fff; padding: 1.4rem 2rem; }
header h1 { margin: 0 0 .3rem; font-size: 1.6rem; }
header p { margin: 0; opacity: .8; font-size: .9rem; }
nav { padding: .6rem 2rem; background: #e8ebf0; font-size: .9rem; }
nav a { margin-right: 1rem; color: #2b5fab; text-decoration: none; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 2rem 3rem; }
section { background: #fff; border-radius: 8px; padding: 1rem 1.4rem;
          margin: 1.2rem 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { margin-top: .2rem; font-size: 1.25rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
img { max-width: 100%; height: auto; display: block; margin: .5rem 0; }
table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }
th, td { padding: .25rem .7rem; border-bottom: 1px solid #e3e6eb; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f2f5; }
.big { font-size: 2rem; font-weight: 600; margin-right: 2rem; }
.note { color: #5a6372; font-size: .9rem; }
.bar { display: inline-block; height: .6rem; background: #4c8bd6; border-radius: 2px;
       vertical-align: middle; margin-left: .4rem; }
ul.doctor li { margin: .3rem 0; }
"""


def image(png: bytes, alt: str) -> str:
    """An ``<img>`` holding ``png`` inline (base64 data URI)."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def section(anchor: str, title: str, body: Sequence[str], intro: str = "") -> str:
    """A titled ``<section id=anchor>``; ``body`` is already HTML."""
    note = f'<p class="note">{html.escape(intro)}</p>' if intro else ""
    return (
        f'<section id="{html.escape(anchor)}"><h2>{html.escape(title)}</h2>'
        f"{note}{''.join(body)}</section>"
    )


class Raw(str):
    """Text that is already HTML (made here), put into a table as it is."""


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table; cells are plain text (escaped) unless they are ``Raw``."""

    def cell(text: str, tag: str) -> str:
        inner = text if isinstance(text, Raw) else html.escape(text)
        return f"<{tag}>{inner}</{tag}>"

    head = "".join(cell(h, "th") for h in headers)
    body = "".join(
        "<tr>" + "".join(cell(c, "td") for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bar(value: float, text: str) -> Raw:
    """A number with a small horizontal bar (``value`` in [0, 1])."""
    width = max(0.0, min(1.0, value)) * 6
    return Raw(
        f'<span>{html.escape(text)}<span class="bar" style="width:{width:.2f}rem"></span></span>'
    )


def page(
    sections: Sequence[str],
    title: str,
    lang: str,
    contents: Sequence[tuple[str, str]],
    subtitle: str = "",
    contents_label: str = "Contents",
) -> str:
    """The whole document: header, table of contents, sections."""
    links = "".join(
        f'<a href="#{html.escape(a)}">{html.escape(t)}</a>' for a, t in contents
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f'<nav aria-label="{html.escape(contents_label)}">{links}</nav>'
        f"<main>{''.join(sections)}</main></body></html>\n"
    )
