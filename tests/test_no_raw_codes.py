"""No raw codes anywhere: every page, PDF, workbook and notification of the demo's whole round is
read as each demo persona would read it, and none may show a stored code ("frail_elderly",
"troms-ofoten"), an ISO date, an amount without digit grouping or a Python list.

The crawl follows the links of each persona's pages from the start page (GET only, inside the
portal, bounded), so a new page is covered as soon as something links to it. PDFs are read as the
HTML they are printed from; workbooks cell by cell. The demo is loaded once for the module."""

import datetime
import io
import os
import re
from collections import Counter
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urldefrag, urlsplit

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rsportal.applications.models import Call
from rsportal.assessment import documents
from rsportal.assessment.models import Decision, Meeting
from rsportal.followup import documents as followup_documents
from rsportal.core.models import Notification
from rsportal.registry.models import Helsefellesskap, RegionalHealthAuthority
from rsportal.security.testing import force_verified_login

PERSONAS = [
    None,  # anonymous
    "admin",
    "rhf.nord",
    "sekretariat.nord",
    "sekretariat.tromsofoten",
    "stu.leder",
    "stu.medlem",
    "stu.observator",
    "soker.tromso",
    "soker.unn",
    "sekretariat.agder",
    "rhf.sorost",
]
PAGES_PER_PERSONA = 150  # bounded, so the crawl stays short
SAME_KIND = 6  # pages of one kind (one URL pattern, any ids or filters): a few of each are enough
SKIP = ("/logg-ut/", "/static/", "/media/", "/api/", "/admin/", "/logg-inn/")
# The machine-readable CSV is meant for programs: ISO dates and plain numbers there are the point.
SKIP_QUERY = ("format=maskinlesbar",)

# Codes that are also Norwegian words (or names), so finding them in a text proves nothing.
NORWEGIAN_WORDS = {"digital", "part", "annet", "full", "private"}  # "private ideelle sykehus"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# A case number (saksnummer) is written "26/00123": its zero-padded running number is not an amount.
BARE_NUMBER = re.compile(r"(?<![\d.,\u00a0/])\d{5,}(?![\d.,]\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LIST_REPR = re.compile(r"\[['\"]|['\"]\]")


def choice_codes() -> set[str]:
    """Every stored code that cannot be mistaken for a Norwegian word: the choice values and
    helsefellesskap slugs with an underscore or a hyphen, and the one-word (English) codes of four
    letters or more that are not also Norwegian words."""
    codes = set()
    for enum in _all_subclasses(models.TextChoices):
        codes |= {str(v) for v in enum.values}
    codes |= set(Helsefellesskap.objects.values_list("code", flat=True))
    return {c for c in codes if re.fullmatch(r"[a-z]+[_-][a-z_-]+", c) or (re.fullmatch(r"[a-z]{4,}", c) and c not in NORWEGIAN_WORDS)}


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


class _Visible(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts, styles or typed form values."""

    HIDDEN = {"script", "style", "textarea", "template", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden, self.links = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> tuple[str, list[str]]:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts), parser.links


def problems(text: str, codes: set[str]) -> list[str]:
    found = [f"ISO date {m}" for m in ISO_DATE.findall(text)]
    found += [f"bare number {m}" for m in BARE_NUMBER.findall(text) if not _allowed_number(m, text)]
    found += [f"list {m.group()!r}" for m in LIST_REPR.finditer(text)]
    # An e-mail address is written as it is, even when a username in it spells a slug (sekretariat.agder@...).
    words = set(re.findall(r"[a-z][a-z_-]*[a-z]", EMAIL.sub(" ", text)))
    found += [f"code {c}" for c in sorted(codes & words)]
    return found


def _allowed_number(number: str, text: str) -> bool:
    """Organisation numbers (nine digits) are written without grouping by Brønnøysund's own usage,
    and help text may quote what a person can type («1250000»)."""
    if f"«{number}»" in text:
        return True
    return len(number) == 9 and re.search(rf"(org\.?\s*(nr\.?|nummer)|organisasjonsnummer)\D{{0,5}}{number}", text, re.I) is not None


def workbook_problems(content: bytes, codes: set[str]) -> list[str]:
    found = []
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    found += [f"{sheet.title}!{cell.coordinate}: {p}" for p in problems(cell.value, codes)]
                elif isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    # A number is fine as a number, as long as Excel is told to group its digits.
                    if abs(cell.value) >= 10_000 and cell.number_format == "General":
                        found.append(f"{sheet.title}!{cell.coordinate}: ungrouped number {cell.value}")
    return found


@pytest.fixture
def printed(monkeypatch):
    """PDFs are read as the HTML they are printed from (printing each would cost seconds)."""
    seen = []

    def pdf(template, context):
        seen.append(documents.render_to_string(template, {**context, "generated_at": timezone.now()}))
        return b"%PDF-1.4 (read as HTML in this test)\n"

    monkeypatch.setattr(documents, "pdf", pdf)
    return seen


def crawl(client: Client, printed: list[str], codes: set[str], budget: int):
    """Yield (url, kind, problems) for every page reachable from the start page."""
    # Pages of a kind not yet read go first, so the budget covers every kind before repeating one.
    fresh, queue, seen, per_kind = ["/"], [], set(), Counter()
    while (fresh or queue) and budget > 0:
        url = (fresh or queue).pop(0)
        if url in seen:
            continue
        seen.add(url)
        kind_of_page = _page_kind(url)
        per_kind[kind_of_page] += 1
        if per_kind[kind_of_page] > SAME_KIND:
            continue
        budget -= 1
        before = len(printed)
        response = client.get(url)
        content_type = response.get("Content-Type", "")
        if response.status_code != 200 or getattr(response, "streaming", False):
            yield url, "skipped", []
            continue
        if content_type.startswith("application/pdf"):
            if len(printed) > before:  # a document of ours, not an uploaded attachment
                yield url, "pdf", problems(visible(printed[-1])[0], codes)
            continue
        if "spreadsheetml" in content_type:
            yield url, "workbook", workbook_problems(response.content, codes)
            continue
        if content_type.startswith("text/csv"):
            # Plain numbers are right in a CSV (Excel reads "250 000" as text); codes and ISO dates are not.
            text = response.content.decode("utf-8-sig", "replace")
            yield url, "csv", [p for p in problems(text, codes) if not p.startswith("bare number")]
            continue
        if not content_type.startswith("text/html"):
            continue
        text, links = visible(response.content.decode())
        yield url, "page", problems(text, codes)
        for href in links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/") or href.startswith(SKIP):
                continue
            if any(s in parts.query for s in SKIP_QUERY) or href in seen:
                continue
            (queue if per_kind[_page_kind(href)] else fresh).append(href)


def _page_kind(url: str) -> str:
    """/soknader/12/vis/ and /soknader/3/vis/ are the same kind of page, and so are the pages of
    two helsefellesskap (a slug) or two downloads (a token)."""
    segments = urlsplit(url).path.split("/")
    return "/".join("N" if re.fullmatch(r"\d+|[a-z]+-[a-z-]+|[\w-]{20,}", s) else re.sub(r"\d+", "N", s) for s in segments)


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("RSPORTAL_PAGES_ON_POSTGRES") != "1",
    reason="the crawl reads what people see, which does not depend on the database: it runs in CI's SQLite pass "
    "(RSPORTAL_PAGES_ON_POSTGRES=1 runs it here)",
)
def test_no_page_document_or_message_of_the_demo_round_shows_a_raw_code(demo, db, printed, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    codes = choice_codes()
    assert {"frail_elderly", "troms-ofoten", "pre_project", "not_adopted"} <= codes
    hits, counts = [], Counter()
    users = get_user_model().objects
    for username in PERSONAS:
        client = Client(raise_request_exception=False)
        if username:
            force_verified_login(client, users.get(username=username))
        for url, kind, found in crawl(client, printed, codes, PAGES_PER_PERSONA):
            counts[kind] += 1
            hits += [f"{username or 'anonymous'} {url} ({kind}): {p}" for p in found]
    # Every document of the round, whether or not the crawl came by its link: as the RHF's
    # secretariat, who keeps the minutes, sends the letters and reports to the ministry.
    secretariat = Client(raise_request_exception=False)
    force_verified_login(secretariat, users.get(username="sekretariat.nord"))
    urls = [reverse("assessment:minutes-pdf", args=[m.pk]) for m in Meeting.objects.all()]
    urls += [reverse("assessment:letter-pdf", args=[d.pk]) for d in Decision.objects.filter(status=Decision.Status.ADOPTED)]
    urls += [reverse("assessment:ranking-xlsx", args=[c.pk]) for c in Call.objects.exclude(status=Call.Status.DRAFT)]
    for url in urls:
        before = len(printed)
        response = secretariat.get(url)
        if response.status_code != 200:
            continue
        if len(printed) > before:
            counts["pdf"] += 1
            hits += [f"sekretariat.nord {url} (pdf): {p}" for p in problems(visible(printed[-1])[0], codes)]
        else:
            counts["workbook"] += 1
            hits += [f"sekretariat.nord {url} (workbook): {p}" for p in workbook_problems(response.content, codes)]
    for rhf in RegionalHealthAuthority.objects.filter(code="HN"):
        for year in range(2024, 2028):
            followup_documents._render(SimpleNamespace(rhf=rhf, year=year))
            counts["pdf"] += 1
            hits += [f"annual report {rhf.code} {year} (pdf): {p}" for p in problems(visible(printed[-1])[0], codes)]
    for message in Notification.objects.all():
        counts["notification"] += 1
        hits += [f"notification {message.subject!r}: {p}" for p in problems(f"{message.subject}\n{message.body}", codes)]
    print(dict(counts))
    assert counts["page"] > 100 and counts["pdf"] and counts["workbook"], counts
    assert not hits, f"{len(hits)} raw values:\n" + "\n".join(dict.fromkeys(hits))


def test_the_checks_catch_what_the_issue_saw_and_pass_norwegian_text(db):
    codes = {"frail_elderly", "troms-ofoten"}
    raw = "Pasientgrupper: ['frail_elderly', 'chronic'] Start: 2028-01-01 Beløp: 250000 Helsefellesskap: troms-ofoten"
    assert len(problems(raw, codes)) == 6, problems(raw, codes)
    fine = "Pasientgrupper: Skrøpelige eldre. Start: 1. januar 2028. Beløp: 250\u00a0000\u00a0kr, 2027–2029, 92,9\u00a0mill.\u00a0kr"
    assert problems(fine, codes) == []
    assert problems("Konto: sekretariat.agder@demo.invalid", {"agder"}) == []
    assert problems("Helsefellesskap: agder", {"agder"}) == ["code agder"]


def test_similar_projects_show_words_as_written_not_stems(demo, db):
    from rsportal.applications.similar import find_similar

    title = "Felles team for skrøpelige eldre som bor hjemme"
    matches = find_similar(title, "Oppfølging av eldre pasienter etter utskrivning")
    assert matches
    written = {w.lower() for w in re.findall(r"\w+", title + " Oppfølging av eldre pasienter etter utskrivning")}
    for match in matches:
        assert match.shared and {w.lower() for w in match.shared} <= written, match.shared


def test_present_turns_stored_values_into_what_a_reader_sees():
    from django.template import Context, Template

    from rsportal.applications.models import Application
    from rsportal.core.present import label_for, present

    field = Application._meta.get_field
    assert present(["frail_elderly", "chronic"], field("patient_groups")) == "Skrøpelige eldre, Flere kroniske sykdommer"
    assert present("pre_project", field("type")) == "Forprosjekt"
    assert label_for(Application, "themes", ["teams"]) == "Felles team for kartlegging, utredning og tiltak"
    assert present("2028-01-01", field("start_date")) == "1. januar 2028"
    assert present(250000, field("research_share")) == "250\u00a0000\u00a0kr"
    assert present(True, field("is_digital")) == "Ja"
    assert present(None) == present("") == present([]) == "–"
    assert Template("{% load rs %}{{ d|vis }}").render(Context({"d": datetime.date(2028, 1, 1)})) == "1. januar 2028"
