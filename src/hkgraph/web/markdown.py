"""Markdown texts (tip summaries, excerpts, descriptions) as safe HTML, rendered only when a page shows them.

Python-Markdown turns the text into HTML and nh3 (the Rust sanitiser ammonia) keeps only an allow-list
of tags and attributes. A rendered text is remembered (by its text) for the next page that shows it.

Table cells (:func:`cell`) are rendered lazily: Datasette asks every plugin for the display value of every
cell of a page (1,600 cells on the tips table), and the tips table shows none of the Markdown columns
unless every column is asked for; a :class:`LazyMarkdown` costs nothing until a template prints it.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from .metadata import MARKDOWN_COLUMNS  # the columns whose text is Markdown

EXTENSIONS = ("tables", "fenced_code")
TAGS = {"a", "abbr", "acronym", "b", "blockquote", "code", "em", "i", "li", "ol", "strong", "ul", "pre", "p",
        "h1", "h2", "h3", "h4", "h5", "h6", "img", "table", "thead", "tbody", "tr", "th", "td", "div", "br", "hr"}
ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
URL_SCHEMES = {"http", "https", "mailto"}
CACHED = 8192  # rendered texts remembered

_local = threading.local()


def _converter() -> Any:
    """One Markdown converter per thread (building one costs more than converting a paragraph)."""
    md = getattr(_local, "md", None)
    if md is None:
        import markdown

        md = _local.md = markdown.Markdown(output_format="html", extensions=list(EXTENSIONS))
    return md


@lru_cache(maxsize=CACHED)
def render_markdown(text: str | None) -> Markup:
    """``text`` as sanitised HTML in a ``<div>`` (also the ``render_markdown`` function of the templates)."""
    if not text:
        return Markup("")
    import nh3

    html = _converter().reset().convert(text)
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="nofollow",
                      set_tag_attribute_values={"img": {"style": "max-width: 100%"}})
    return Markup('<div style="white-space: normal">{}</div>').format(Markup(clean))  # noqa: S704 - nh3 sanitised it


class LazyMarkdown:
    """A Markdown cell that is rendered when a template prints it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> str:
        return str(render_markdown(self.text))

    def __str__(self) -> str:
        return self.__html__()

    def __bool__(self) -> bool:
        return bool(self.text)


def cell(value: Any, column: str) -> LazyMarkdown | None:
    """The display value of a Markdown column's cell (None for other columns)."""
    if column in MARKDOWN_COLUMNS and isinstance(value, str) and value:
        return LazyMarkdown(value)
    return None
