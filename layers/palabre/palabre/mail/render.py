"""Jinja2 rendering of emails and pages, in the reader's language.

Email HTML needs inline styles (many mail clients drop <style>). The CSS is inlined into
each template's *source* when Jinja first loads it, so the work is done once per template
and language per container, never per recipient.
"""

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_time
from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from markupsafe import Markup

from palabre.core.i18n import translations

EMAIL_CSS = "email/style.css"
_JINJA_TAG = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)


class TemplateError(Exception):
    """A template cannot be prepared; raised at first load, so tests catch it."""


class InliningLoader(BaseLoader):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = FileSystemLoader(root)

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.files.get_source(environment, template)
        if template.startswith("email/") and template.endswith(".html"):
            source = self._inline(template, source)
        return source, filename, uptodate

    def _inline(self, name: str, source: str) -> str:
        import css_inline  # emails only: the pages' one stylesheet is not inlined

        try:
            css = (self.root / EMAIL_CSS).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TemplateNotFound(EMAIL_CSS) from None
        if source.lstrip().lower().startswith("<!doctype"):
            inlined = css_inline.CSSInliner(extra_css=css, keep_at_rules=True).inline(source)
        else:
            inlined = css_inline.inline_fragment(source, css)
        # The HTML parser must leave Jinja's tags alone: '<', '>' or '&' inside a tag get
        # escaped, and a tag between table rows gets moved. Refuse such a template.
        if _JINJA_TAG.findall(inlined) != _JINJA_TAG.findall(source):
            raise TemplateError(
                f"{name}: inlining changed a Jinja tag; avoid <, > and & inside tags and "
                "keep block tags inside elements, not between table rows"
            )
        return inlined


@cache
def environment(templates_dir: Path, locale: str) -> Environment:
    env = Environment(
        loader=InliningLoader(templates_dir),
        autoescape=lambda name: bool(name and name.endswith(".html")),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.install_gettext_translations(translations(templates_dir, locale), newstyle=True)  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it at run time
    env.globals["locale"] = locale
    env.filters["date"] = lambda value, fmt="long": _format(value, fmt, locale, format_date)
    env.filters["datetime"] = lambda value, fmt="long": _format(value, fmt, locale, format_datetime)
    env.filters["time"] = lambda value, fmt="short": _format(value, fmt, locale, format_time)
    return env


def _format(
    value: date | datetime | None, fmt: str, locale: str, formatter: Callable[..., str]
) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None and formatter is not format_date:
        return formatter(value, fmt, tzinfo=value.tzinfo, locale=locale)
    return formatter(value, fmt, locale=locale)


def render(templates_dir: Path, name: str, locale: str, **context: Any) -> str:
    return environment(templates_dir, locale).get_template(name).render(**context)


def markup(html: str) -> Markup:
    """HTML that was made safe elsewhere (the Markdown safe-list), not re-escaped."""
    return Markup(html)
