"""Similar projects across all 19 helsefellesskap, found by Norwegian word stems.

The committee asked applicants to check for similar projects before applying.
Titles, goals, target groups and activities are reduced to Snowball (Norwegian)
stems without stop words, and candidates are ranked by weighted overlap, with
rare stems counting more (idf). This runs the same on SQLite and PostgreSQL.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass

import snowballstemmer

from rsportal.funding.models import Grant

from .models import Application

_STEMMER = snowballstemmer.stemmer("norwegian")
_WORD = re.compile(r"[a-zæøåA-ZÆØÅ0-9]+")
# Words every RS application uses; they say nothing about what the project is.
STOP = set(
    """og i på til for av med som en et det er de å at om fra ved skal kan vil har ikke eller men der
    den denne dette disse mellom mot over under etter før samt også bl a m fl mv prosjekt prosjektet pilot
    forprosjekt kommune kommuner kommunen kommunene helseforetak helseforetaket hf sykehus sykehuset
    samhandling samarbeid tjenester tjeneste tiltak""".split()
)


def stems(text: str) -> list[str]:
    return [stem for stem, _word in _stemmed(text)]


def _stemmed(text: str):
    """(stem, word as written) for every word that counts, in order."""
    words = [w for w in _WORD.findall(text or "") if w.lower() not in STOP and len(w) > 2]
    for word, stem in zip(words, _STEMMER.stemWords([w.lower() for w in words])):
        if len(stem) > 2:
            yield stem, word


def words_for_stems(text: str) -> dict[str, str]:
    """Each stem with the first word of `text` it came from: a reader is shown "eldre", not "eldr"."""
    found: dict[str, str] = {}
    for stem, word in _stemmed(text):
        found.setdefault(stem, word if word.isupper() else word.lower())  # "UNN" stays an acronym
    return found


@dataclass
class Match:
    title: str
    helsefellesskap: str
    kind: str  # "tilskudd" (funded) or "søknad" (submitted application)
    score: float
    shared: list[str]  # the shared words as the query wrote them, not their stems
    url: str = ""


def _documents(exclude_application_id=None):
    for grant in Grant.objects.select_related("helsefellesskap").only("title", "helsefellesskap__name"):
        yield grant.title, grant.helsefellesskap.name if grant.helsefellesskap else "", "tilskudd", grant.title
    applications = Application.objects.exclude(status=Application.Status.DRAFT).select_related("helsefellesskap")
    if exclude_application_id:
        applications = applications.exclude(pk=exclude_application_id)
    for app in applications.only("title", "goal", "target_group", "activities", "helsefellesskap__name"):
        text = " ".join([app.title, app.title, app.goal, app.target_group, app.activities])
        yield app.title, app.helsefellesskap.name, "søknad", text


def find_similar(title: str, description: str = "", target_group: str = "", *, exclude_application_id=None, limit: int = 5, threshold: float = 0.12) -> list[Match]:
    query_text = f"{title} {title} {description} {target_group}"
    query = Counter(stems(query_text))
    if not query:
        return []
    docs = [(t, hf, kind, Counter(stems(text))) for t, hf, kind, text in _documents(exclude_application_id)]
    if not docs:
        return []
    frequency = Counter(stem for *_, bag in docs for stem in bag)
    idf = {stem: math.log((1 + len(docs)) / (1 + frequency[stem])) + 1 for stem in frequency}

    def weight(bag):
        return math.sqrt(sum((idf.get(s, 1.0) * n) ** 2 for s, n in bag.items()))

    query_weight = weight(query)
    words = words_for_stems(query_text)
    matches = []
    for title_, hf, kind, bag in docs:
        shared = set(query) & set(bag)
        if not shared:
            continue
        dot = sum(idf[s] ** 2 * query[s] * bag[s] for s in shared)
        score = dot / (query_weight * weight(bag))
        if score >= threshold:
            matches.append(Match(title_, hf, kind, round(score, 3), sorted({words[s] for s in shared})))
    matches.sort(key=lambda m: m.score, reverse=True)
    return matches[:limit]
