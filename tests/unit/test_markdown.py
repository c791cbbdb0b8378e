"""The calendar's Markdown: formats a prompt, never runs in a mail client or a browser."""

import re
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from palabre.core.markdown import prompt_html, to_html, to_text
from palabre.core.models import Audience, Theme

# What a prompt may contain once rendered; anything else must not reach the reader.
ALLOWED_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "s",
    "del",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
    "h3",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "rel"}}
SAFE_SCHEMES = {"http", "https", "mailto"}


class Elements(HTMLParser):
    """Every start tag of a fragment with its attributes, as a browser would read them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def named(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == name]


def scheme(url: str) -> str | None:
    # Browsers drop tabs and newlines inside a URL and trim spaces and controls around it.
    cleaned = re.sub(r"[\t\n\r]", "", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08 \x0b\x0c")
    found = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", cleaned)
    return found.group(1).lower() if found else None


# ------------------------------------------------------------------------------ formatting
def test_bold_and_emphasis_are_rendered() -> None:
    assert to_html("Try **one** thing, *gently*.") == (
        "<p>Try <strong>one</strong> thing, <em>gently</em>.</p>\n"
    )


def test_lists_are_rendered() -> None:
    html = to_html("- listen\n- ask\n\n1. first\n2. second")

    assert html == (
        "<ul>\n<li>listen</li>\n<li>ask</li>\n</ul>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"
    )


def test_a_link_opens_without_giving_the_page_a_handle_on_the_prompt() -> None:
    html = to_html('Read [the guide](https://example.org/guide "Guide").')

    links = Elements(html).named("a")
    assert links == [
        {"href": "https://example.org/guide", "title": "Guide", "rel": "noopener noreferrer"}
    ]
    assert ">the guide</a>" in html


@pytest.mark.parametrize(
    "link",
    ["[mail us](mailto:team@example.org)", "[relative](/library)", "<https://example.org>"],
    ids=["mailto", "relative", "autolink"],
)
def test_safe_links_keep_their_target(link: str) -> None:
    (anchor,) = Elements(to_html(link)).named("a")

    assert anchor["rel"] == "noopener noreferrer"
    assert anchor["href"] in {"mailto:team@example.org", "/library", "https://example.org"}


@pytest.mark.parametrize(
    ("markdown", "heading"),
    [("# Big", "Big"), ("## Middle", "Middle"), ("### Small", "Small")],
    ids=["h1", "h2", "h3"],
)
def test_headings_are_no_bigger_than_h3(markdown: str, heading: str) -> None:
    # The theme's title is the page's heading; a prompt's own headings stay below it.
    assert to_html(markdown) == f"<h3>{heading}</h3>\n"


@pytest.mark.parametrize("level", [4, 5, 6])
def test_smaller_headings_stay_headings(level: int) -> None:
    html = to_html(f"{'#' * level} Tip\n\nBody")

    assert html == "<h3>Tip</h3>\n<p>Body</p>\n"


def test_code_quotes_breaks_and_strikethrough_are_kept() -> None:
    html = to_html("> a quote\n\n`code`  \nnext ~~old~~\n\n```\nblock\n```")

    assert [tag for tag, _ in Elements(html).tags] == [
        "blockquote",
        "p",
        "p",
        "code",
        "br",
        "s",
        "pre",
        "code",
    ]


def test_the_result_is_markup_so_templates_do_not_escape_it_twice() -> None:
    html = to_html("**fine** & <dandy>")

    assert isinstance(html, Markup)
    assert escape(html) == html
    assert html == "<p><strong>fine</strong> &amp; &lt;dandy&gt;</p>\n"


def test_the_plain_text_part_keeps_the_markdown_as_written() -> None:
    assert to_text("\n  **Try** <this>  \n") == "**Try** <this>"


# ------------------------------------------------------------------------------- dangerous
DANGEROUS = {
    "script": "<script>alert(1)</script>",
    "script-in-text": "Hello <script src=https://evil.example/x.js></script> there",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)>",
    "bold-onmouseover": 'text <b onmouseover="alert(1)">b</b>',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "raw-link": '<a href="javascript:alert(1)" onclick="alert(1)">click</a>',
    "style": "<style>body{display:none}</style>",
    "form": '<form action="https://evil.example"><input name=a></form>',
    "js-link": "[click](javascript:alert(1))",
    "js-link-mixed-case": "[click](JaVaScRiPt:alert(1))",
    "js-link-entity": "[click](&#106;avascript:alert(1))",
    "js-link-escaped-colon": "[click](javascript&#58;alert(1))",
    "js-link-spaces": "[click]( javascript:alert(1) )",
    "js-autolink": "<javascript:alert(1)>",
    "js-reference": "[click][x]\n\n[x]: javascript:alert(1)",
    "vbscript-link": "[click](vbscript:msgbox(1))",
    "data-link": "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data-image": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "image": "![tracker](https://evil.example/pixel.png)",
    "image-onerror-title": '![x](https://e.example/x.png "a onerror=alert(1)")',
    "title-breakout": '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
    # an autolink with an unknown scheme keeps its text, loses its target
    "unknown-scheme-autolink": "<Adata:text/html,alert(1)>",
}


@pytest.mark.parametrize("markdown", DANGEROUS.values(), ids=DANGEROUS.keys())
def test_html_scripts_handlers_frames_images_and_unsafe_links_are_neutralised(
    markdown: str,
) -> None:
    elements = Elements(to_html(markdown))

    for tag, attributes in elements.tags:
        assert tag in ALLOWED_TAGS
        assert set(attributes) <= ALLOWED_ATTRIBUTES.get(tag, set())
    for link in elements.named("a"):
        assert scheme(link.get("href") or "") in SAFE_SCHEMES | {None}


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<b>bold?</b>", "&lt;b&gt;bold?&lt;/b&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ],
    ids=["script", "bold-tag", "img"],
)
def test_html_typed_in_the_calendar_is_shown_as_text(markdown: str, shown: str) -> None:
    assert to_html(markdown) == f"<p>{shown}</p>\n"


# ---------------------------------------------------------------------------- any text
FRAGMENTS = [
    "<script>",
    "</script>",
    "<scr<script>ipt>",
    "<img src=x ",
    " onerror=",
    "onload=",
    '"',
    "'",
    ">",
    "<",
    "javascript:",
    "JaVaScRiPt&#58;",
    "&#106;avascript:",
    "data:text/html,",
    "vbscript:",
    "[",
    "](",
    ")",
    "![",
    "<a href=",
    "<iframe",
    "<svg/onload=",
    "\n",
    "\n\n",
    "    ",
    "`",
    "*",
    "#",
    "&",
    "\\",
    "\x00",
    "\t",
]
HOSTILE_TEXT = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=30
).map("".join)


@settings(deadline=None, max_examples=200)
@given(text=HOSTILE_TEXT)
def test_no_text_renders_a_script_a_handler_or_a_javascript_link(text: str) -> None:
    html = to_html(text)

    assert isinstance(html, Markup)
    for link in only_safe_elements(html).named("a"):
        assert link["rel"] == "noopener noreferrer"


def only_safe_elements(html: str) -> Elements:
    """Reads `html` as a browser would (" onerror=" inside a quoted title is text, not a
    handler) and asserts it holds nothing off the safe-list; returns its elements."""
    assert "<script" not in html.lower()
    elements = Elements(html)
    for tag, attributes in elements.tags:
        assert tag in ALLOWED_TAGS
        assert not [name for name in attributes if name.startswith("on")]
        assert set(attributes) <= ALLOWED_ATTRIBUTES.get(tag, set())
    for link in elements.named("a"):
        assert scheme(link.get("href") or "") in SAFE_SCHEMES | {None}
    return elements


# ------------------------------------------------------------- the prompt the theme keeps
def _theme(prompt: str, stored: str) -> Theme:
    return Theme(
        id="t",
        send_on=date(2026, 12, 1),
        title="T",
        prompt=prompt,
        prompt_html=stored,
        audience=Audience(everyone=True),
    )


def test_a_theme_shows_the_prompt_the_import_rendered_without_the_markdown_parser() -> None:
    stored = str(to_html("What did you **hear**?"))
    shown = prompt_html(_theme("What did you **hear**?", stored))
    assert shown == stored == "<p>What did you <strong>hear</strong>?</p>\n"
    assert isinstance(shown, Markup)


def test_a_theme_stored_before_the_import_kept_its_html_renders_its_markdown() -> None:
    assert prompt_html(_theme("*Why*?", "")) == to_html("*Why*?")


@settings(deadline=None, max_examples=100)
@given(stored=HOSTILE_TEXT)
def test_stored_html_is_held_to_the_safe_list_again_whatever_wrote_it(stored: str) -> None:
    only_safe_elements(prompt_html(_theme("x", stored or "x")))


def test_showing_a_kept_prompt_loads_no_markdown_parser() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from palabre.core.markdown import prompt_html\n"
        "from palabre.core.models import Audience, Theme\n"
        "theme = Theme(id='t', send_on=date(2026, 12, 1), title='T', prompt='**a**',\n"
        "              prompt_html='<p><strong>a</strong></p>', audience=Audience(everyone=True))\n"
        "assert prompt_html(theme) == '<p><strong>a</strong></p>'\n"
        "print('markdown_it' in sys.modules)\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("markdown", "shown"),
    [
        ("[https://bank.example](https://evil.example)", "https://bank.example (evil.example)"),
        ("[la banque](https://bаnk.example/login)", "la banque (xn--bnk-6cd.example)"),
        ("[écrivez-moi](mailto:x@evil.example)", "écrivez-moi (x@evil.example)"),
        ("<https://ok.example/a>", "https://ok.example/a"),
        ("[https://ok.example/](https://ok.example)", "https://ok.example/"),
    ],
    ids=["url-as-text", "look-alike-host", "mailto", "autolink", "its-own-address"],
)
def test_a_link_shows_where_it_really_goes_unless_its_text_is_its_address(
    markdown: str, shown: str
) -> None:
    html = to_html(markdown)

    assert re.sub(r"<[^>]+>", "", html).strip() == shown
    assert html.count("<a ") == 1
