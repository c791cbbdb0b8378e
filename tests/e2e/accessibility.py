"""A small accessibility check of the page a Playwright `page` shows, from what Chromium
computed: every field labelled and every control named, one h1 and headings in order,
text contrast of at least 4.5:1, and — for a phone — nothing wider than the screen and
targets a thumb can hit. Each returns its problems as sentences (none: an empty list),
so a test reads `assert accessibility_problems(page) == []` and a failure says what and
where."""

from typing import Any

MINIMUM_CONTRAST = 4.5
"""WCAG 2.x AA for body text; the pages hold to it for large text too"""
TARGET = 44
"""px: the smallest side of a button or field (WCAG 2.5.5, Apple's and Android's guides)"""

_LABELS = r"""() => {
  const problems = [];
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return getComputedStyle(el).visibility !== "hidden" && box.width > 0 && box.height > 0;
  };
  const named = (el) => {
    const by = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
    return Boolean(
      [...(el.labels || [])].some((label) => label.textContent.trim()) ||
      (el.getAttribute("aria-label") || "").trim() ||
      by.some((id) => (document.getElementById(id)?.textContent || "").trim())
    );
  };
  for (const field of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button", "reset", "image"].includes(field.type)) continue;
    if (!named(field)) {
      problems.push(`the ${field.tagName.toLowerCase()} "${field.name || field.id}" has no label`);
    }
  }
  const controls = "button, a[href], input[type=submit], input[type=button], summary";
  for (const control of document.querySelectorAll(controls)) {
    const text = (control.textContent || control.value || "").trim();
    if (shown(control) && !text && !named(control) && !control.querySelector("img[alt]")) {
      const html = control.outerHTML.slice(0, 80);
      problems.push(`a ${control.tagName.toLowerCase()} has no name: ${html}`);
    }
  }
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")];
  const ones = headings.filter((h) => h.tagName === "H1").length;
  if (ones !== 1) problems.push(`the page has ${ones} h1 headings, not one`);
  let level = 0;
  for (const heading of headings) {
    const now = Number(heading.tagName[1]);
    const text = heading.textContent.trim().slice(0, 60);
    if (level === 0 && now !== 1) problems.push(`the first heading is an h${now}: "${text}"`);
    if (level && now > level + 1) problems.push(`an h${now} follows an h${level}: "${text}"`);
    level = now;
  }
  return problems;
}"""

_CONTRAST = r"""(minimum) => {
  const rgba = (css) => {
    const inside = (css.match(/rgba?\(([^)]*)\)/) || [null, ""])[1];
    const parts = inside.split(/[\s,\/]+/).filter(Boolean).map(Number);
    if (parts.length < 3) return null;
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, under) =>
    [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const behind = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour && colour[3] > 0) {
        layers.push(colour);
        if (colour[3] >= 1) break;
      }
    }
    return layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255, 1]);
  };
  const luminance = (colour) => {
    const [r, g, b] = colour.slice(0, 3).map((v) => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "OPTION", "NOSCRIPT", "TEMPLATE"].includes(el.tagName)) continue;
    if (el.disabled) continue;  // WCAG 1.4.3 leaves inactive controls out
    const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent).join("").trim();
    const value = el.tagName === "INPUT" && !["hidden", "file"].includes(el.type) ? el.value : "";
    const chosen = el.tagName === "SELECT" ? el.selectedOptions[0]?.textContent : "";
    const text = own || value || chosen;
    if (!text) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || box.width === 0 || box.height === 0) continue;
    const background = behind(el);
    const foreground = over(rgba(style.color) || [0, 0, 0, 1], background);
    const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    if (ratio < minimum) {
      problems.push(
        `"${text.slice(0, 50)}" (${el.tagName.toLowerCase()}) has a contrast of ` +
        `${ratio.toFixed(2)}:1 (${style.color} on rgb(${background.slice(0, 3).join(", ")}))`
      );
    }
  }
  return problems;
}"""

_LAYOUT = r"""(target) => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) {
    const wide = document.documentElement.scrollWidth;
    problems.push(`the page is ${wide}px wide on a ${width}px screen`);
  }
  const controls = "button, select, textarea, summary, input:not([type=hidden]), a.action";
  for (const control of document.querySelectorAll(controls)) {
    const box = control.getBoundingClientRect();
    if (getComputedStyle(control).visibility === "hidden" || box.width === 0) continue;
    const name = (control.textContent || control.value || control.name || control.id).trim();
    if (box.height < target || (control.tagName === "BUTTON" && box.width < target)) {
      problems.push(
        `the ${control.tagName.toLowerCase()} "${name.slice(0, 40)}" is ` +
        `${Math.round(box.width)}×${Math.round(box.height)}px (at least ${target}px wanted)`
      );
    }
    if (box.right > width + 0.5 || box.left < -0.5) {
      const what = control.tagName.toLowerCase();
      problems.push(`the ${what} "${name.slice(0, 40)}" is off the screen`);
    }
  }
  return problems;
}"""


def accessibility_problems(page: Any, minimum_contrast: float = MINIMUM_CONTRAST) -> list[str]:
    """Fields without a label, controls without a name, headings out of order or an h1
    missing or repeated, text below `minimum_contrast`: what the page shows now."""
    labels: list[str] = page.evaluate(_LABELS)
    contrast: list[str] = page.evaluate(_CONTRAST, minimum_contrast)
    return labels + contrast


def layout_problems(page: Any, target: int = TARGET) -> list[str]:
    """A page wider than its screen, and buttons, fields, selects and `a.action` links
    smaller than `target` px (or partly off the screen)."""
    problems: list[str] = page.evaluate(_LAYOUT, target)
    return problems
