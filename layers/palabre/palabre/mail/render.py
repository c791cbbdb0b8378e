"""Jinja2 rendering of emails and pages, in the reader's language.

Email HTML needs inline styles (many mail clients drop <style>). The CSS is inlined into
each template's *source* when Jinja first loads it, so the work is done once per template
and language per container, never per recipient.

The built templates layer also carries every template compiled to Python (`compiled/`,
written by `python -m palabre.mail.render` at `make build`, CSS already inlined), and the
catalogs compiled (core/i18n.py): a cold start then imports a template's module instead of
inlining and compiling its source. Where
there is no such folder (the repository's templates/, which the tests and the local stack
read), the source is compiled on first use.
"""

import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_time
from babel.numbers import format_decimal
from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    ModuleLoader,
    StrictUndefined,
    TemplateNotFound,
    pass_eval_context,
)
from jinja2.nodes import EvalContext
from markupsafe import Markup

from palabre.core.dates import format_date, format_datetime
from palabre.core.i18n import translations
from palabre.core.text import without_spoofing
from palabre.core.typography import END, FOREIGN, finish, foreign

EMAIL_CSS = "email/style.css"
COMPILED = "compiled"
"""the folder of the templates layer holding the compiled templates"""
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

    def list_templates(self) -> list[str]:
        return [
            name
            for name in self.files.list_templates()
            if name.endswith((".html", ".txt")) and not name.startswith(f"{COMPILED}/")
        ]

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
    compiled = templates_dir / COMPILED
    loader = ModuleLoader(compiled) if compiled.is_dir() else InliningLoader(templates_dir)
    return _environment(loader, templates_dir, locale)


def _shown(value: Any) -> Any:
    """Every value a page or an email prints, stored before input was cleaned included,
    without bidi controls and invisible characters (core.text.without_spoofing)."""
    if isinstance(value, Markup):
        return Markup(without_spoofing(str(value)))
    return without_spoofing(value) if isinstance(value, str) else value


def _shown_in(locale: str) -> Callable[[Any], Any]:
    """_shown, and text in another language than the page's marked for the typography
    (core.typography.finish takes the marks out)."""

    def shown(value: Any) -> Any:
        printed = _shown(value)
        if foreign(value, locale) and isinstance(printed, str):
            if isinstance(printed, Markup):
                return Markup(FOREIGN) + Markup(str(printed)) + END
            return f"{FOREIGN}{printed}{END}"
        return printed

    return shown if locale == "fr" else _shown


@cache
def _number(value: int, locale: str) -> str:
    return format_decimal(value, locale=locale)


def _formatted(value: Any, locale: str) -> Any:
    """A count as the reader writes it (5 000, 5,000); anything else as it is."""
    return (
        _number(value, locale) if isinstance(value, int) and not isinstance(value, bool) else value
    )


def _environment(loader: BaseLoader, templates_dir: Path, locale: str) -> Environment:
    env = Environment(
        loader=loader,
        autoescape=lambda name: bool(name and name.endswith(".html")),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        finalize=_shown_in(locale),
    )
    catalog = translations(templates_dir, locale)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it at run time
    env.globals.update(_direct_gettext(catalog, locale))
    env.globals["locale"] = locale
    # the language of a theme's text, for the lang attribute of what holds it
    env.globals["lang_of"] = lambda value: getattr(value, "lang", "") or locale
    env.filters["number"] = lambda value: _formatted(value, locale)
    env.filters["date"] = lambda value, fmt="long": _format(value, fmt, locale, format_date)
    env.filters["datetime"] = lambda value, fmt="long": _format(value, fmt, locale, format_datetime)
    env.filters["time"] = lambda value, fmt="short": _format(value, fmt, locale, format_time)
    return env


def precompile(templates_dir: Path, target: Path) -> list[str]:
    """Compiles every template of `templates_dir` into `target` (ModuleLoader's layout);
    a template that does not compile stops the build. Returns the names compiled."""
    env = _environment(InliningLoader(templates_dir), templates_dir, "en")
    names = env.list_templates()
    env.compile_templates(target, zip=None, ignore_errors=False)
    return names


def _direct_gettext(catalog: Any, locale: str) -> dict[str, Callable[..., str]]:
    """`_`, `gettext` and `ngettext` as jinja2.ext.i18n's newstyle ones behave (the
    translation a format string, Markup where the template autoescapes, so the values are
    escaped), in one call instead of three: the extension's `_` resolves `gettext` from the
    context, which calls the catalog through the context again. A digest makes ~50 such
    calls; this halves their cost. The i18n tests hold both to the same output. Counts
    are written as the reader's language writes them (5 000 points)."""

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
        translated = catalog.gettext(string)
        values = {k: _formatted(v, locale) for k, v in variables.items()}
        return (Markup(translated) if eval_ctx.autoescape else translated) % values

    @pass_eval_context
    def ngettext(
        eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        translated = catalog.ngettext(singular, plural, num)
        values = {k: _formatted(v, locale) for k, v in variables.items()}
        return (Markup(translated) if eval_ctx.autoescape else translated) % values

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


def _format(
    value: date | datetime | None, fmt: str, locale: str, formatter: Callable[..., str]
) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and value.tzinfo is not None and formatter is not format_date:
        return formatter(value, fmt, tzinfo=value.tzinfo, locale=locale)
    return formatter(value, fmt, locale=locale)


def render(templates_dir: Path, name: str, locale: str, **context: Any) -> str:
    """`name` rendered for a reader in `locale`, finished with its typography (one pass
    over the whole output: the catalogue's text, the template's own and every value)."""
    output = environment(templates_dir, locale).get_template(name).render(**context)
    return finish(output, locale, html=name.endswith(".html"))


def in_language(text: str, locale: str) -> str:
    """A line built outside a template (a subject) finished as `render` finishes one."""
    return finish(text, locale)


def markup(html: str) -> Markup:
    """HTML that was made safe elsewhere (the Markdown safe-list), not re-escaped."""
    return Markup(html)


def build(templates_dir: Path, target: Path) -> None:
    """What `make build` adds to the templates layer's copy (`target`) of
    `templates_dir`: the templates compiled, the catalogs compiled."""
    from palabre.core.i18n import compile_catalogs

    compiled = precompile(templates_dir, target / COMPILED)
    catalogs = compile_catalogs(templates_dir, target)
    sys.stdout.write(f"{len(compiled)} templates, {len(catalogs)} catalogs compiled: {target}\n")


if __name__ == "__main__":  # make build: python -m palabre.mail.render TEMPLATES TARGET
    build(Path(sys.argv[1]), Path(sys.argv[2]))
