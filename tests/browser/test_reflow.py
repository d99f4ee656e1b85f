"""Reflow (WCAG 1.4.10) over the demo: signed in as an applicant, the secretariat and the
chair, every page linked from their start page and main menu is loaded at 320 px wide and
must not scroll sideways; the menu folds behind "Meny" and marks the current page; on the
ranking page at 1280 px the score column is on screen."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from rsportal.demo.loader import DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, screenshot, sign_in, submit

NARROW = 320
MAX_PAGES_PER_PERSONA = 20
# Files, the API, the Django admin and signing out are not pages of the portal to reflow.
SKIP = re.compile(r"\.(pdf|xlsx|csv|json|ics|zip)$|^/api/|^/admin/|^/logg-ut/|/vedlegg/[^/]+/$")


@pytest.fixture
def demo(live_server):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.filter(username__in=["soker.tromso", "sekretariat.nord", "stu.leder"])}


def _width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def _wider_elements(page) -> list[str]:
    """The elements that stick out to the right of the screen, for a readable failure."""
    return page.evaluate(
        """(w) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .slice(-5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).replace(/ +/g, '.') : '')
                + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')""",
        NARROW,
    )


def _links(page) -> list[str]:
    hrefs = page.evaluate("() => [...document.querySelectorAll('header a[href], main a[href]')].map(a => a.href)")
    paths = []
    for href in hrefs:
        url = urlsplit(href)
        if url.netloc != urlsplit(page.url).netloc or SKIP.search(url.path):
            continue
        path = url.path + (f"?{url.query}" if url.query else "")
        if path not in paths:
            paths.append(path)
    return paths


def _kind(path: str) -> str:
    """/prosjekter/12/ and /prosjekter/7/ are the same kind of page; so are two health communities."""
    return re.sub(r"^/helsefellesskap/[^/]+/", "/helsefellesskap/X/", re.sub(r"\d+", "N", path.split("?")[0]))


def _crawl(page, seen: set[str], kinds: dict[str, int]) -> list[str]:
    """Load the start page and, breadth first, what it and the menu link to: at most
    MAX_PAGES_PER_PERSONA pages, two of each kind over all personas (the same template with other data)."""
    queue = ["/"]
    visited, too_wide = [], []
    while queue and len(visited) < MAX_PAGES_PER_PERSONA:
        path = queue.pop(0)
        if path != "/" and (path in seen or kinds.get(_kind(path), 0) >= 2):
            continue
        seen.add(path)
        kinds[_kind(path)] = kinds.get(_kind(path), 0) + 1
        response = page.goto(path)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited.append(path)
        if _width(page) > NARROW + 1:
            too_wide.append(f"{path}: {_width(page)} px ({', '.join(_wider_elements(page))})")
        queue += [p for p in _links(page) if p not in seen and p not in queue]
    page.close()
    return visited, too_wide


def test_no_page_of_the_demo_scrolls_sideways_at_320_px(browser, live_server, new_page, demo):
    report, failures, kinds = [], [], {}
    for username in ("soker.tromso", "stu.leder", "sekretariat.nord"):
        page = new_page()
        page.set_viewport_size({"width": NARROW, "height": 800})
        sign_in(page, demo[username], DEMO_PASSWORD)
        visited, too_wide = _crawl(page, set(), kinds)
        report.append(f"{username}: {len(visited)} pages: {' '.join(visited)}")
        failures += too_wide
        assert len(visited) >= 2, f"{username} reached only {visited}"
    print("\n".join(report), f"\n{sum(len(v.split()) - 3 for v in report)} pages in all")
    assert sum(kinds.values()) >= 40, f"the crawl reached only {sum(kinds.values())} pages"
    assert not failures, "wider than 320 px:\n" + "\n".join(failures)


def test_the_menu_folds_on_a_phone_and_marks_the_current_page(page, live_server, demo):
    page.set_viewport_size({"width": NARROW, "height": 800})
    page.goto("/prosjekter/")
    button = page.get_by_role("button", name="Meny")
    menu = page.get_by_role("navigation", name="Hovedmeny")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    current = menu.locator("a[aria-current]")
    expect(current).to_have_count(1)
    expect(current).to_have_text("Prosjekter")
    expect(current).to_have_attribute("aria-current", "page")
    screenshot(page, "reflow-menu-open-320")
    assert_accessible(page, "the open menu at 320 px")
    # A laptop at 200 % zoom is 640 CSS px wide: folded too. At 1280 px the menu is simply there.
    page.set_viewport_size({"width": 640, "height": 450})
    page.reload()
    expect(page.get_by_role("button", name="Meny")).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] < 120
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.get_by_role("button", name="Meny")).to_be_hidden()
    expect(menu).to_be_visible()
    # A page inside a section marks its menu item too, as "true" rather than "page".
    page.goto("/prosjekter/")
    submit(page, page.locator("main table a").first)
    assert re.search(r"/prosjekter/\d+/$", page.url)
    current = page.get_by_role("navigation", name="Hovedmeny").locator("a[aria-current]")
    expect(current).to_have_text("Prosjekter")
    expect(current).to_have_attribute("aria-current", "true")


def test_the_ranking_shows_its_score_column_at_1280_px(browser, live_server, new_page, demo):
    from rsportal.assessment.models import Score

    call = Score.objects.select_related("application__call").first().application.call
    page = new_page()
    sign_in(page, demo["sekretariat.nord"], DEMO_PASSWORD)
    for width in (1280, NARROW):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/vurdering/utlysning/{call.pk}/rangering/")
        screenshot(page, f"reflow-ranking-{width}")
        assert _width(page) <= width + 1, f"the ranking page is wider than {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/vurdering/utlysning/{call.pk}/rangering/")
    headers = page.get_by_role("columnheader", name="Skår")
    assert headers.count() >= 1
    for i in range(headers.count()):
        box = headers.nth(i).bounding_box()
        assert box and box["x"] + box["width"] <= 1280, f"the score column ends at {box} px, beyond the screen"


def test_screenshots_of_the_form_the_view_and_the_statistics(browser, live_server, new_page, demo):
    """Not an assertion of looks: pictures for a person to check, at 320 and 1280 px."""
    applicant = demo["soker.tromso"]
    page = new_page()
    sign_in(page, applicant, DEMO_PASSWORD)
    page.goto("/soknader/")
    edit = page.locator("main a[href$='/']").filter(has_text=re.compile(".")).all()
    form_url = next((a.get_attribute("href") for a in edit if re.search(r"^/soknader/\d+/$", a.get_attribute("href") or "")), None)
    view_url = next((a.get_attribute("href") for a in edit if re.search(r"^/soknader/\d+/vis/$", a.get_attribute("href") or "")), None)
    for width in (NARROW, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in (("form", form_url), ("view", view_url), ("statistics", "/statistikk/")):
            if url:
                page.goto(url)
                screenshot(page, f"reflow-{name}-{width}")
                assert _width(page) <= width + 1, f"{url} is wider than {width} px"
    assert form_url, "the applicant has no draft to edit in the demo"
    # Chart text on a phone: the size on screen, after the SVG is scaled, at least 12 px.
    page.set_viewport_size({"width": NARROW, "height": 900})
    page.goto("/statistikk/")
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('svg.hbar-chart text')].map(t => {
            const svg = t.ownerSVGElement;
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return parseFloat(getComputedStyle(t).fontSize) * scale;
        })"""
    )
    assert sizes and min(sizes) >= 11.9, f"chart text as small as {min(sizes):.1f} px on a phone"
    assert _width(page) <= NARROW + 1
