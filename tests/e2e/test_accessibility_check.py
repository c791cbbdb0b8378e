"""The accessibility check the pages' tests rely on finds what it promises, in Chromium,
and passes a page that has none of it."""

from typing import Any

from tests.e2e.accessibility import accessibility_problems, layout_problems

FAULTY = """<!DOCTYPE html><html lang="en"><head><meta name="viewport"
content="width=device-width, initial-scale=1"><style>
body { margin: 0; font: 16px sans-serif; background: #fff; color: #111; }
.pale { color: #999; }
.on-dark { background: rgba(0, 0, 0, 0.9); color: #555; }
button { height: 30px; }
.wide { width: 600px; }
</style></head><body>
<h1>One</h1><h1>Two</h1><h2>Section</h2><h4>Jumped</h4>
<input name="who"><select name="kind"><option>roster</option></select>
<button></button><button>Small</button>
<p class="pale">Too pale</p><p class="on-dark">Dark on dark</p>
<div class="wide">Wider than a phone</div>
</body></html>"""

SOUND = """<!DOCTYPE html><html lang="en"><head><meta name="viewport"
content="width=device-width, initial-scale=1"><style>
body { margin: 0; font: 16px sans-serif; background: #fff; color: #1f2933; }
button, input { min-height: 44px; min-width: 44px; }
.muted { color: #52606d; }
</style></head><body>
<h1>Title</h1><h2>Section</h2><h3>Part</h3><h2>Another</h2>
<label for="who">Who</label><input id="who" name="who">
<input type="hidden" name="token" value="x"><button>Send</button>
<p class="muted">Legible grey</p>
</body></html>"""


def test_the_check_names_each_fault_of_a_faulty_page(browser: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 700})
    try:
        page = context.new_page()
        page.set_content(FAULTY)
        found = accessibility_problems(page)
        laid_out = layout_problems(page)
    finally:
        context.close()

    assert 'the input "who" has no label' in found
    assert 'the select "kind" has no label' in found
    assert any(p.startswith("a button has no name") for p in found)
    assert "the page has 2 h1 headings, not one" in found
    assert 'an h4 follows an h2: "Jumped"' in found
    assert any(p.startswith('"Too pale" (p) has a contrast of 2.85:1') for p in found), found
    assert any(p.startswith('"Dark on dark" (p)') for p in found), found
    assert not any("One" in p or "Section" in p for p in found if "contrast" in p)
    assert "the page is 600px wide on a 375px screen" in laid_out
    assert any(p.startswith('the button "Small" is ') for p in laid_out), laid_out


def test_a_sound_page_has_no_problem(browser: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 700})
    try:
        page = context.new_page()
        page.set_content(SOUND)
        assert accessibility_problems(page) == []
        assert layout_problems(page) == []
    finally:
        context.close()
