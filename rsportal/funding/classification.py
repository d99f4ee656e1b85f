"""The secretariat classifies each grant for the statistics: themes (Fafo table 10), the
prioritised patient groups (from which Fafo table 11's target groups follow), digital home
follow-up, and task shifting between the municipal and specialist levels.

A grant is "not classified" until someone has done it (classified_at is null); after that an
empty list means "none". suggest() reads the application's own answers, or for a grant
decided outside a call its title and description, and says why it suggests each code: it is
shown in the form, never saved by itself.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.accounts import permissions
from rsportal.core.audit import record
from rsportal.core.formatting import person_name

from .models import Answer, Grant


class ClassificationError(Exception):
    """A rule was broken; the message is shown as it is."""


class StaleEdit(ClassificationError):
    """Someone saved the grant's classification after the form was drawn."""


def theme_choices():
    from rsportal.applications.models import Theme  # applications imports funding

    return Theme.choices


def patient_group_choices():
    from rsportal.applications.models import PatientGroup

    return PatientGroup.choices


# --- who classifies -----------------------------------------------------------


def may_classify(user, grant: Grant) -> bool:
    """The grant's managers: the RHF's administrators and secretariat, and the secretariat of
    the helsefellesskap whose pot pays it (or, for a regional pot, the grant's helsefellesskap).
    The same rule as followup.domain.manages."""
    return permissions.can_manage_money(user, rhf=grant.pot.rhf, helsefellesskap=grant.pot.helsefellesskap or grant.helsefellesskap)


def fingerprint(grant: Grant) -> str:
    """The classification as the form showed it; changes with every save."""
    state = [
        grant.classified_at.isoformat() if grant.classified_at else "",
        sorted(grant.themes or []),
        sorted(grant.patient_groups or []),
        grant.digital_home_follow_up,
        grant.task_shifting,
    ]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:24]


def _codes(values, choices, what: str) -> list[str]:
    known = [code for code, _label in choices]
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ClassificationError(_("Ukjent %(what)s: %(codes)s.") % {"what": what, "codes": ", ".join(map(str, unknown))})
    # Stored in the order of the choices, so equal classifications look equal.
    return [code for code in known if code in set(values)]


@transaction.atomic
def classify_grant(actor, grant: Grant, *, themes, patient_groups, digital_home_follow_up: str, task_shifting: str, expected: str | None = None) -> Grant:
    """Save the grant's classification and stamp it as classified (by whom, when).

    Empty lists are a classification too: "none of these". `expected` is fingerprint() of the
    grant as the form showed it; when someone saved since, the save is refused (StaleEdit) and
    nothing changes. None skips the check (scripts and the demo, which post no form).
    """
    locked = Grant.objects.select_for_update(of=("self",)).select_related("pot__rhf", "pot__helsefellesskap", "helsefellesskap", "classified_by").get(pk=grant.pk)
    if not may_classify(actor, locked):
        raise PermissionDenied(_("Bare sekretariatet i helsefellesskapet og RHF-ets sekretariat eller administratorer klassifiserer dette tilskuddet."))
    if expected is not None and expected != fingerprint(locked):
        who = person_name(locked.classified_by) if locked.classified_by else _("Noen andre")
        raise StaleEdit(
            _("%(who)s lagret klassifiseringen av «%(title)s» etter at du åpnet skjemaet. Se den lagrede klassifiseringen over; skjemaet viser det du fylte inn. Lagre igjen hvis ditt valg skal gjelde.")
            % {"who": who, "title": locked.title}
        )
    answers = set(Answer.values)
    if digital_home_follow_up not in answers or task_shifting not in answers:
        raise ClassificationError(_("Svar ja, nei eller vet ikke."))
    before = {"themes": locked.themes, "patient_groups": locked.patient_groups, "digital_home_follow_up": locked.digital_home_follow_up, "task_shifting": locked.task_shifting}
    locked.themes = _codes(themes, theme_choices(), _("tema"))
    locked.patient_groups = _codes(patient_groups, patient_group_choices(), _("pasientgruppe"))
    locked.digital_home_follow_up = digital_home_follow_up
    locked.task_shifting = task_shifting
    locked.classified_at = timezone.now()
    locked.classified_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["themes", "patient_groups", "digital_home_follow_up", "task_shifting", "classified_at", "classified_by"])
    after = {"themes": locked.themes, "patient_groups": locked.patient_groups, "digital_home_follow_up": digital_home_follow_up, "task_shifting": task_shifting}
    record(actor, "funding.grant_classified", locked, _("Klassifisert: %(title)s") % {"title": locked.title}, before=before, after=after)
    return locked


# --- the suggestion -------------------------------------------------------------

# Word parts (lower case) that point to a theme in the text; simple on purpose, and every
# match is shown to the person who decides.
THEME_WORDS = {
    "recruitment": ("rekrutt", "beholde", "hospit", "kombinert stilling", "kombinerte stillinger", "kombi-stilling", "delte stillinger", "delt stilling"),
    "pathways": ("pasientforløp", "pas.forløp", "sammenhengende forløp", "sømløs"),
    "teams": ("team", "kartlegging", "vurderingsteam", "innsatsteam"),
    "digital": ("digital", "e-helse", "video", "telemedisin", "simulering", "velferdsteknologi"),
    "emergency": ("akutt", "legevakt", "ambulanse"),
    "research": ("forskning", "metodeutvikling"),
    "other": ("konferanse", "fagdag", "kompetansenettverk"),
}
HOME_FOLLOW_UP_WORDS = ("hjemmeoppfølging", "digital oppfølging", "oppfølging hjemme", "avstandsoppfølging")
TASK_SHIFTING_WORDS = ("oppgavedeling", "oppgaveoverføring", "oppgaveglidning", "overtar oppgaver", "flytte oppgaver", "på tvers av omsorgsnivå", "på tvers av nivå")


@dataclass
class Suggestion:
    source: str  # what it is read from, for the form's heading
    themes: list[str] = field(default_factory=list)
    patient_groups: list[str] = field(default_factory=list)
    digital_home_follow_up: str = Answer.UNKNOWN
    task_shifting: str = Answer.UNKNOWN
    reasons: list[str] = field(default_factory=list)


def _found(text: str, words) -> str | None:
    return next((w for w in words if w in text), None)


def _application(grant: Grant):
    from rsportal.assessment.models import Decision

    decision = Decision.objects.filter(grant=grant).select_related("application").first()
    return decision.application if decision else None


def suggest(grant: Grant, application=None) -> Suggestion:
    """What the grant's own sources say: the patient groups and themes the applicants chose,
    the digital-measure answers, and words in the text. Never saved by itself."""
    application = application or _application(grant)
    theme_labels, group_labels = dict(theme_choices()), dict(patient_group_choices())
    if application is not None:
        suggestion = Suggestion(source=_("søknaden"))
        parts = [application.title, application.goal, application.target_group, application.activities, application.expected_benefit, application.patient_responsibility]
        if application.patient_groups:
            suggestion.patient_groups = [c for c in group_labels if c in application.patient_groups]
            suggestion.reasons.append(_("Pasientgruppene søkerne krysset av for i søknaden."))
        if application.themes:
            suggestion.themes = [c for c in theme_labels if c in application.themes]
            suggestion.reasons.append(_("Temaene søkerne valgte i søknaden."))
        if application.is_digital:
            parts += [application.digital_regional_path, application.digital_ehealth_strategy]
    else:
        suggestion = Suggestion(source=_("prosjektnavnet og beskrivelsen"))
        parts = [grant.title, grant.description]
    text = "\n".join(p for p in parts if p).lower()
    for code, words in THEME_WORDS.items():
        word = _found(text, words)
        if word and code not in suggestion.themes:
            suggestion.themes.append(code)
            suggestion.reasons.append(_("«%(word)s» står i teksten: %(theme)s.") % {"word": word, "theme": theme_labels[code]})
    suggestion.themes = [c for c in theme_labels if c in suggestion.themes]
    word = _found(text, HOME_FOLLOW_UP_WORDS)
    if word:
        suggestion.digital_home_follow_up = Answer.YES
        suggestion.reasons.append(_("«%(word)s» står i teksten: digital hjemmeoppfølging.") % {"word": word})
    elif application is not None and not application.is_digital:
        suggestion.digital_home_follow_up = Answer.NO
        suggestion.reasons.append(_("Søkerne svarte at tiltaket ikke gjelder digitale løsninger."))
    word = _found(text, TASK_SHIFTING_WORDS)
    if word:
        suggestion.task_shifting = Answer.YES
        suggestion.reasons.append(_("«%(word)s» står i teksten: oppgavedeling mellom nivåene.") % {"word": word})
    return suggestion
