"""State changes of project ideas. One function per change: each runs in a transaction, checks
permission, writes an audit record and queues notifications (category "ideas", which each user
may turn off or get as a digest).

Who may do what:
- an applicant for the idea's municipality or trust registers, edits and converts it;
- the secretariat of the idea's helsefellesskap reads it and suggests and connects partners;
- an applicant for a suggested partner reads the idea it is suggested for;
- a system administrator reads everything.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.accounts import permissions as account_permissions
from rsportal.accounts.models import OrganisationRole
from rsportal.applications import domain as applications
from rsportal.applications import permissions as application_permissions
from rsportal.core import notifications
from rsportal.core.audit import notify, record
from rsportal.registry.models import Body, BodyMember

from .models import Idea, PartnerLink

# What a person types on the idea's form; the rest (owner, links, version) is set here.
FIELDS = ("title", "problem", "approach", "target_group", "looking_for_partners", "wanted_partners", "contact_name", "contact_email", "contact_phone")
# Where the idea's text goes in the application form when it becomes a draft.
CARRIED_OVER = {"title": "title", "problem": "status_description", "approach": "activities", "target_group": "target_group"}


class IdeaError(Exception):
    """A rule was broken; the message is for the person."""


class IdeaConflict(IdeaError):
    """Someone else saved the idea after the form was opened."""

    def __init__(self, message, current: Idea):
        super().__init__(message)
        self.current = current


# --- who may see and do what ---------------------------------------------------


def visible_ideas(user):
    """Ideas the user may read: their organisations' own, those their organisation is suggested
    as partner for, those of the helsefellesskap whose secretariat they sit in; all for a system administrator."""
    if not user.is_authenticated:
        return Idea.objects.none()
    if account_permissions.is_system_admin(user):
        return Idea.objects.all()
    municipalities, trusts = application_permissions.applicant_scopes(user)
    secretariat = account_permissions.managed_helsefellesskap(user).values("pk")
    partner_of = PartnerLink.objects.filter(Q(municipality_id__in=municipalities) | Q(trust_id__in=trusts)).values("idea_id")
    return Idea.objects.filter(
        Q(municipality_id__in=municipalities) | Q(trust_id__in=trusts) | Q(helsefellesskap__in=secretariat) | Q(pk__in=partner_of)
    )


def can_view(user, idea: Idea) -> bool:
    return visible_ideas(user).filter(pk=idea.pk).exists()


def owns(user, idea: Idea) -> bool:
    """An applicant for the idea's own municipality or trust."""
    municipalities, trusts = application_permissions.applicant_scopes(user)
    return idea.municipality_id in municipalities or idea.trust_id in trusts


def can_edit(user, idea: Idea) -> bool:
    return owns(user, idea) and idea.application_id is None


def can_manage_partners(user, idea: Idea) -> bool:
    return account_permissions.is_system_admin(user) or account_permissions.is_secretariat(user, idea.helsefellesskap)


def communities_for(user):
    """The helsefellesskap one of the user's organisations belongs to today: where an idea can be registered."""
    from rsportal.registry.models import Helsefellesskap, Membership

    municipalities, trusts = application_permissions.applicant_scopes(user)
    members = Membership.objects.valid_on(timezone.localdate()).filter(municipality_id__in=municipalities).values("helsefellesskap_id")
    return Helsefellesskap.objects.filter(Q(pk__in=members) | Q(trust_id__in=trusts)).order_by("name")


# --- who is told ---------------------------------------------------------------


def _link(idea: Idea) -> str:
    return reverse("ideas:detail", args=[idea.pk])


def _idea_side(idea: Idea) -> list:
    return [idea.contact_email, idea.created_by]


def _organisation_side(municipality=None, trust=None) -> list:
    """The organisation's applicants and, for a municipality, its postmottak."""
    roles = OrganisationRole.objects.active_on(timezone.localdate()).filter(kind=OrganisationRole.Kind.APPLICANT).select_related("user")
    roles = roles.filter(municipality=municipality) if municipality is not None else roles.filter(trust=trust)
    people = [role.user for role in roles]
    if municipality is not None and municipality.notice_email:
        people.append(municipality.notice_email)
    return people


def _secretariat(idea: Idea) -> list:
    seats = BodyMember.objects.active_on(timezone.localdate()).filter(body__kind=Body.Kind.SECRETARIAT, body__helsefellesskap=idea.helsefellesskap, user__isnull=False)
    return [seat.user for seat in seats.select_related("user")]


# --- the state changes ---------------------------------------------------------


@transaction.atomic
def register_idea(actor, *, helsefellesskap, **data) -> Idea:
    """An applicant registers an idea for their organisation in one of its helsefellesskap.
    The organisation is the applicant's municipality that is a member there, or its trust."""
    municipalities, trusts = application_permissions.applicant_scopes(actor)
    if not municipalities and not trusts:
        raise PermissionDenied(_("Bare søkere for en kommune eller et helseforetak kan registrere en prosjektidé."))
    organisation = applications._member_organisation(municipalities, trusts, helsefellesskap)
    if organisation is None:
        raise IdeaError(_("Du kan bare registrere en idé i %(hf)s for en kommune eller et helseforetak som hører til dette helsefellesskapet.") % {"hf": helsefellesskap.name})
    idea = Idea.objects.create(helsefellesskap=helsefellesskap, created_by=actor, **organisation, **{k: v for k, v in data.items() if k in FIELDS})
    record(actor, "idea.registered", idea, _("Prosjektidé registrert: %(title)s") % {"title": idea.title}, helsefellesskap=helsefellesskap.pk)
    notify(
        _secretariat(idea),
        _("Ny prosjektidé i %(hf)s: %(title)s") % {"hf": helsefellesskap.name, "title": idea.title},
        _("%(org)s har registrert en prosjektidé%(partners)s. Se den og lignende prosjekter i RS-portalen.")
        % {"org": idea.organisation, "partners": _(" og søker samarbeidspartnere") if idea.looking_for_partners else ""},
        category=notifications.IDEAS,
        link=_link(idea),
    )
    return idea


@transaction.atomic
def update_idea(actor, idea: Idea, expected_version: int, **data) -> Idea:
    """Save the idea's fields, unless someone saved it since `expected_version` was read."""
    idea = Idea.objects.select_for_update().get(pk=idea.pk)
    if not owns(actor, idea):
        raise PermissionDenied(_("Bare søkere for organisasjonen som eier idéen, kan endre den."))
    if idea.application_id is not None:
        raise IdeaError(_("Idéen er gjort om til en søknad. Skriv videre i søknaden."))
    if idea.version != expected_version:
        raise IdeaConflict(_("Noen andre lagret idéen mens du skrev. Teksten din er ikke lagret: sammenlign og lagre på nytt."), idea)
    changed = sorted(name for name in FIELDS if name in data and getattr(idea, name) != data[name])
    for name in changed:
        setattr(idea, name, data[name])
    idea.version += 1
    idea.save()
    if changed:
        record(actor, "idea.updated", idea, _("Prosjektidé endret"), fields=changed)
    return idea


@transaction.atomic
def suggest_partner(actor, idea: Idea, *, municipality=None, trust=None, note: str = "") -> PartnerLink:
    """The secretariat suggests an organisation as partner; both sides are told."""
    if not can_manage_partners(actor, idea):
        raise PermissionDenied(_("Bare sekretariatet i idéens helsefellesskap kan foreslå partnere."))
    if (municipality is None) == (trust is None):
        raise IdeaError(_("Velg én kommune eller ett helseforetak."))
    if (municipality is not None and municipality.pk == idea.municipality_id) or (trust is not None and trust.pk == idea.trust_id):
        raise IdeaError(_("%(org)s eier idéen selv.") % {"org": idea.organisation})
    organisation = municipality or trust
    if idea.partners.filter(municipality=municipality, trust=trust).exists():
        raise IdeaError(_("%(org)s er allerede foreslått som partner.") % {"org": organisation})
    link = PartnerLink.objects.create(idea=idea, municipality=municipality, trust=trust, note=note, suggested_by=actor)
    record(actor, "idea.partner_suggested", idea, _("%(org)s foreslått som partner") % {"org": organisation}, partner=link.pk)
    subject = _("Forslag om samarbeid: %(title)s") % {"title": idea.title}
    notify(
        _idea_side(idea),
        subject,
        _("Sekretariatet i %(hf)s foreslår %(org)s som partner for idéen deres.") % {"hf": idea.helsefellesskap.name, "org": organisation},
        category=notifications.IDEAS,
        link=_link(idea),
    )
    notify(
        _organisation_side(municipality, trust),
        subject,
        _("Sekretariatet i %(hf)s foreslår %(org)s som partner for en prosjektidé fra %(owner)s. Kontaktperson: %(name)s, %(email)s.")
        % {"hf": idea.helsefellesskap.name, "org": organisation, "owner": idea.organisation, "name": idea.contact_name, "email": idea.contact_email},
        category=notifications.IDEAS,
        link=_link(idea),
    )
    return link


@transaction.atomic
def connect_partner(actor, link: PartnerLink) -> PartnerLink:
    """The secretariat records that both sides have agreed: the partner joins the draft application
    when the idea becomes one. Both sides are told."""
    link = PartnerLink.objects.select_for_update().select_related("idea__helsefellesskap").get(pk=link.pk)
    idea = link.idea
    if not can_manage_partners(actor, idea):
        raise PermissionDenied(_("Bare sekretariatet i idéens helsefellesskap kan koble partnere."))
    if link.status == PartnerLink.Status.CONNECTED:
        raise IdeaError(_("%(org)s er allerede koblet som partner.") % {"org": link.organisation})
    link.status = PartnerLink.Status.CONNECTED
    link.connected_at = timezone.now()
    link.save(update_fields=["status", "connected_at"])
    record(actor, "idea.partner_connected", idea, _("%(org)s koblet som partner") % {"org": link.organisation}, partner=link.pk)
    subject = _("Partner koblet: %(title)s") % {"title": idea.title}
    body = _("%(org)s og %(owner)s er koblet som partnere for idéen «%(title)s». Når idéen blir en søknad, blir %(org)s med som deltaker.") % {
        "org": link.organisation,
        "owner": idea.organisation,
        "title": idea.title,
    }
    notify(_idea_side(idea) + _organisation_side(link.municipality, link.trust), subject, body, category=notifications.IDEAS, link=_link(idea))
    return link


@transaction.atomic
def convert_to_application(actor, idea: Idea, *, call, type: str):
    """The idea becomes a draft application in an open call, started by the applications domain:
    its title and text go into the form, connected partners join as participants, and the idea
    links to the draft. Connected partners are told they are in a draft now."""
    idea = Idea.objects.select_for_update().get(pk=idea.pk)
    if not owns(actor, idea):
        raise PermissionDenied(_("Bare søkere for organisasjonen som eier idéen, kan gjøre den om til en søknad."))
    if idea.application_id is not None:
        raise IdeaError(_("Idéen er allerede gjort om til en søknad."))
    try:
        application = applications.start_application(actor, call=call, title=idea.title, type=type, helsefellesskap=idea.helsefellesskap)
    except applications.ApplicationError as exc:
        raise IdeaError(str(exc)) from exc
    for source, target in CARRIED_OVER.items():
        setattr(application, target, getattr(idea, source))
    application.save()
    record(actor, "application.section_saved", application, _("Tekst hentet fra prosjektidéen «%(title)s»") % {"title": idea.title}, fields=sorted(CARRIED_OVER.values()), idea=idea.pk)
    joined = []
    present = {(p.municipality_id, p.trust_id) for p in application.participants.all()}
    for link in idea.partners.filter(status=PartnerLink.Status.CONNECTED).select_related("municipality", "trust"):
        if (link.municipality_id, link.trust_id) in present:
            continue
        applications.add_participant(actor, application, municipality=link.municipality, trust=link.trust)
        joined.append(link)
    idea.application = application
    idea.save(update_fields=["application", "updated_at"])
    record(actor, "idea.converted", idea, _("Prosjektidé gjort om til søknad i «%(call)s»") % {"call": call.title}, application=application.pk)
    for link in joined:
        notify(
            _organisation_side(link.municipality, link.trust),
            _("Søknadsutkast: %(title)s") % {"title": application.title},
            _("Idéen «%(title)s» er gjort om til et søknadsutkast i utlysningen «%(call)s», med %(org)s som deltaker.")
            % {"title": idea.title, "call": call.title, "org": link.organisation},
            category=notifications.IDEAS,
            link=reverse("applications:edit", args=[application.pk]),
        )
    return application
