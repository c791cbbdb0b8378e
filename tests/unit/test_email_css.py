"""CSS is inlined into each email template once, when Jinja first loads it: never per
recipient (the sender renders thousands of prompts per container)."""

from collections import Counter
from datetime import UTC, datetime

import palabre.mail.render as render
from palabre.core.jobs import JobKind
from palabre.core.links import Links
from palabre.core.tokens import Signer
from palabre.mail.personal import Letterhead
from palabre.sending.prompt_mail import compose
from tests.doubles import Intercepted
from tests.unit.examples import CALENDAR, ROSTER, TEMPLATES


def test_css_is_inlined_once_per_template_and_language_not_per_recipient() -> None:
    # A template's CSS is inlined as its loader loads it: count the loads, per language
    inlined: Counter[str] = Counter()
    render.environment.cache_clear()  # a fresh container
    for locale in ("fr", "en"):
        env = render.environment(TEMPLATES, locale)
        env.loader = Intercepted(env.loader, load=lambda _env, name, *_: inlined.update([name]))
    links = Links("https://palabre.example.com", Signer(["k" * 64]))
    sender = Letterhead("Palabre", "palabre@example.com", TEMPLATES)
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    members = [m for m in ROSTER if m.role.value != "observer"] * 10  # fr and en readers
    assert {m.locale for m in members} == {"fr", "en"}

    first = compose(JobKind.PROMPT, CALENDAR[0], members[0], links, sender, now)
    after_one = Counter(inlined)
    for member in members:
        compose(JobKind.PROMPT, CALENDAR[0], member, links, sender, now)

    assert after_one["email/prompt.html"] == 1
    # Many recipients later: each template inlined once per language, no more
    assert set(inlined.values()) == {2}
    assert "email/prompt.html" in inlined
    html = first.parsed().get_body(("html",)).get_content()
    assert 'style="' in html  # and the result carries the styles
    render.environment.cache_clear()
