"""What a person may see of an application: the one rule every output asks.

Pages, the meeting view, the minutes and letter PDFs, the ranking page and its Excel file,
the call's audit trail, the view log, notifications and the open API all take their answer
from `what_may_see` (or from `what_may_see_all`, the same rule for a whole list), so a side
door cannot show what the front door hides.

The rule, in order:

1. A draft (never submitted) belongs to its authors, the applicants of its participating
   organisations. Nobody else learns it exists: not its title, its attachments' names or
   its edit history, not even the secretariat or a system administrator. The authors'
   edit history stays theirs after submission too; others read the submitted versions.
   One exception, the authors' own choice: while they invite the secretariat to read the
   draft (applications.DraftReview), the secretariat that receives it (the helsefellesskap's,
   and the pot's managing secretariat) reads its content and the thread, never its edit history.
   The thread between applicants and secretariat is open to the authors and, once the
   application is submitted, to the secretariats that handle it; the internal notes to the
   secretariats and the committee seats, never to the applicants nor to the conflicted.
2. A member with a conflict of interest on the application (declared, detected or
   confirmed; only one the chair dismissed does not count) sees none of its assessment:
   no scores, proposals, votes, deliberation or place in the optimiser's proposal, and
   none of the handling of the case (formal check, conflicts, the meeting's handling of
   the item). That holds before and after the decision, and also when the member is on
   the secretariat side as well. They keep what is public: the adopted decision.
3. The secretariat side (the pot's managers: RHF administrators and secretariats) sees the
   whole assessment. A community secretariat that receives the application but does not
   manage the pot reads the case papers only.
4. Other seats in the call's bodies see the handling, proposals, votes and deliberation;
   scores (and what is computed from them: the ranking and the optimiser's proposal) as
   the call says: observers always, members once they have scored every criterion
   themselves when the call hides scores until then.
5. Everyone else sees nothing of the assessment; the adopted decision of a granted project
   is public through the catalogue (`published_decision`), and so are the title, the
   participating organisations, the outcome and the date of a refused one where its call
   says so (`Call.publish_rejected`; see catalogue.queries.published_refusals).

The authors follow their own application's handling step by step (`progress`): the formal
check's outcome and its reason, whether their helsefellesskap forwarded it (and why not),
that it is in assessment, and the adopted decision. Never the scores, proposals, votes,
deliberation or conflicts: those stay with the committee.

A person's answer is worked out from a few facts about them (`Viewer`) read in a fixed
number of queries, so a list of a hundred applications costs what a list of one does."""

from dataclasses import dataclass, field, replace

from django.db.models import CharField, Count, Exists, OuterRef, Q
from django.db.models.functions import Cast

from rsportal.accounts import permissions as account_permissions
from rsportal.accounts.models import OrganisationRole
from rsportal.applications.models import Application, Call, ProcessStep
from rsportal.registry.models import Body, BodyMember

from .models import Decision, Score


@dataclass(frozen=True)
class Visibility:
    """What one person may see of one application."""

    application: bool = False  # its content: the case papers and submitted versions
    draft: bool = False  # its unsubmitted state and its authors' edit history (titles, attachment names)
    handling: bool = False  # formal check, conflicts, the agenda item, the audit trail of the assessment
    progress: bool = False  # the steps its authors are told of: formal check outcome and note, forwarded or not (and why), in assessment
    scores: bool = False  # every member's scores and comments, the number who scored, its place in the ranking
    optimiser: bool = False  # its place in the optimiser's proposal
    proposals: bool = False  # proposals put to the vote, also those not adopted, with their reasons
    votes: bool = False  # who voted how
    deliberation: bool = False  # the committee's deliberation recorded in the minutes
    decision: bool = False  # the adopted decision, when there is one (outcome, amounts, reason): public
    conflicted: bool = False  # the person has a conflict of interest on it (why the assessment is hidden)
    thread: bool = False  # the thread between the applicants and the secretariat (applications.Message, shared)
    notes: bool = False  # the internal notes of the secretariat and the committee (applications.Message, internal)
    secretariat: bool = False  # on the secretariat's side of the thread: may answer the applicants


NOTHING = Visibility()


@dataclass
class Viewer:
    """The facts about one user that the rule needs, read once (see `viewer`)."""

    user: object
    system_admin: bool = False
    municipalities: set[int] = field(default_factory=set)  # where the user is an applicant
    trusts: set[int] = field(default_factory=set)
    admin_rhfs: set[int] = field(default_factory=set)  # RHF administrator
    secretariat_rhfs: set[int] = field(default_factory=set)
    secretariat_hfs: set[int] = field(default_factory=set)
    seats: dict[int, BodyMember] = field(default_factory=dict)  # body id -> the user's active seat
    seat_ids: set[int] = field(default_factory=set)  # every active seat, for the conflicts


def viewer(user) -> Viewer:
    """Two queries: the user's organisation roles and their seats."""
    if not getattr(user, "is_authenticated", False):
        return Viewer(user=user)
    facts = Viewer(user=user, system_admin=account_permissions.is_system_admin(user))
    for kind, municipality, trust, rhf in account_permissions.active_roles(user).values_list("kind", "municipality_id", "trust_id", "rhf_id"):
        if kind == OrganisationRole.Kind.APPLICANT:
            facts.municipalities.update({municipality} - {None})
            facts.trusts.update({trust} - {None})
        elif kind == OrganisationRole.Kind.RHF_ADMIN and rhf:
            facts.admin_rhfs.add(rhf)
    for seat in account_permissions.active_seats(user).select_related("body"):
        facts.seats[seat.body_id] = seat
        facts.seat_ids.add(seat.pk)
        if seat.body.kind == Body.Kind.SECRETARIAT:
            if seat.body.helsefellesskap_id:
                facts.secretariat_hfs.add(seat.body.helsefellesskap_id)
            if seat.body.rhf_id:
                facts.secretariat_rhfs.add(seat.body.rhf_id)
    return facts


@dataclass
class CallFacts:
    """The facts about one call that the rule needs: its bodies and whether scores are hidden."""

    call: Call
    step_bodies: set[int]
    scoring_body: int | None
    criteria_count: int | None = None


def call_facts(call: Call, criteria_count: int | None = None) -> CallFacts:
    """One query (the call's process steps)."""
    steps = {s.step: s.body_id for s in call.steps.all() if s.body_id}
    scoring = steps.get(ProcessStep.Step.SCORING) or steps.get(ProcessStep.Step.DECISION)
    return CallFacts(call=call, step_bodies=set(steps.values()), scoring_body=scoring, criteria_count=criteria_count)


def _manages(facts: Viewer, call: Call) -> bool:
    pot = call.pot
    return (
        facts.system_admin
        or pot.rhf_id in facts.admin_rhfs
        or pot.rhf_id in facts.secretariat_rhfs
        or (pot.helsefellesskap_id is not None and pot.helsefellesskap_id in facts.secretariat_hfs)
    )


def _is_author(facts: Viewer, application: Application) -> bool:
    if not (facts.municipalities or facts.trusts):
        return False
    return any(p.municipality_id in facts.municipalities or p.trust_id in facts.trusts for p in application.participants.all())


def _secretariat_of(facts: Viewer, call: Call, application: Application) -> bool:
    """A seat in the secretariat that receives the application or manages the call's pot."""
    pot = call.pot
    return (
        application.helsefellesskap_id in facts.secretariat_hfs
        or pot.rhf_id in facts.secretariat_rhfs
        or (pot.helsefellesskap_id is not None and pot.helsefellesskap_id in facts.secretariat_hfs)
    )


def _invited(application: Application) -> bool:
    """Whether the authors invite the secretariat to read the draft (one query unless prefetched)."""
    from rsportal.applications.models import DraftReview

    known = getattr(application, "invites_secretariat", None)  # set by what_may_see_all for a whole list
    if known is not None:
        return known
    try:
        return application.draft_review is not None
    except DraftReview.DoesNotExist:
        return False


def never_submitted(application: Application) -> bool:
    """A draft: never sent in (also when withdrawn unsent). Its status says "submitted" as soon
    as it is sent, and `submitted_at` stays set through revisions and withdrawal."""
    return application.submitted_at is None and application.status != Application.Status.SUBMITTED


NEVER_SUBMITTED = Q(submitted_at__isnull=True) & ~Q(status=Application.Status.SUBMITTED)  # the same, as a filter


def _decide(facts: Viewer, call: CallFacts, application: Application, *, scored_all) -> Visibility:
    """The rule (see the module docstring). `scored_all()` answers whether the user's scoring
    seat has scored every criterion of the application; it is only called when that matters."""
    author = _is_author(facts, application)
    own = Visibility(application=True, draft=True, progress=True, decision=True, thread=True) if author else NOTHING
    secretariat = _secretariat_of(facts, call.call, application)
    if never_submitted(application):
        if not author and secretariat and application.status == Application.Status.DRAFT and _invited(application):
            return Visibility(application=True, thread=True, secretariat=True)  # the authors asked for a reading
        return own  # a draft is its authors' alone, also when withdrawn unsent
    manages = _manages(facts, call.call)
    seated = bool(call.step_bodies & facts.seats.keys())
    handles = manages or seated or application.helsefellesskap_id in facts.secretariat_hfs or call.call.pot.rhf_id in facts.admin_rhfs
    if not handles:
        return own
    if any(c.blocks and c.member_id in facts.seat_ids for c in application.conflicts.all()):
        return replace(own, application=True, decision=True, conflicted=True)
    if not (manages or seated):
        # Reads the case papers and the adopted decision (public anyway), takes no part in the assessment.
        return replace(own, application=True, decision=True, thread=own.thread or secretariat, notes=secretariat, secretariat=secretariat)
    member = facts.seats.get(call.scoring_body) if call.scoring_body else None
    if manages or (member is None and not call.call.hide_scores_until_scored):
        sees_scores = True
    elif member is None:
        sees_scores = False
    elif member.role == BodyMember.Role.OBSERVER or not call.call.hide_scores_until_scored:
        sees_scores = True
    else:
        sees_scores = scored_all()
    return Visibility(
        application=True,
        draft=author,
        thread=author or secretariat or manages,
        notes=True,
        secretariat=secretariat or manages,
        handling=True,
        progress=True,
        scores=sees_scores,
        optimiser=sees_scores,
        proposals=True,
        votes=True,
        deliberation=True,
        decision=True,
    )


def what_may_see(user, application: Application, *, facts: Viewer | None = None) -> Visibility:
    """What `user` may see of `application`: the one rule every output asks (module docstring).

    Reads the application's participants and conflicts (prefetch them to save the
    queries) and, for a member in a call that hides scores until they have scored, counts
    their scores."""
    facts = facts or viewer(user)
    call = call_facts(application.call)

    def scored_all():
        member = facts.seats.get(call.scoring_body)
        done = Score.objects.filter(application=application, member=member).count()
        return done >= application.call.criteria.count()

    return _decide(facts, call, application, scored_all=scored_all)


def what_may_see_all(user, call: Call, applications, *, criteria_count: int | None = None, facts: Viewer | None = None) -> dict[int, Visibility]:
    """`what_may_see` for every application of one call, in a fixed number of queries.

    The applications must belong to `call` and have `participants` and `conflicts` prefetched
    (of the participants, those of the user's own organisations are enough: see
    `queries.own_participants`). `facts` is the user's `viewer`, when the caller has read it.
    Returns application id -> Visibility."""
    facts = facts or viewer(user)
    callf = call_facts(call, criteria_count)
    applications = list(applications)
    member = facts.seats.get(callf.scoring_body) if callf.scoring_body else None
    counts: dict[int, int] | None = None

    def scored_all_for(application):
        def scored_all():
            nonlocal counts
            if counts is None:
                counts = dict(
                    Score.objects.filter(application__in=[a.pk for a in applications], member=member)
                    .order_by()
                    .values("application_id")
                    .annotate(n=Count("pk"))
                    .values_list("application_id", "n")
                )
                if callf.criteria_count is None:
                    callf.criteria_count = call.criteria.count()
            return counts.get(application.pk, 0) >= callf.criteria_count

        return scored_all

    drafts = [a for a in applications if never_submitted(a)]
    if drafts and (facts.secretariat_hfs or facts.secretariat_rhfs):
        from rsportal.applications.models import DraftReview

        invited = set(DraftReview.objects.filter(application__in=[a.pk for a in drafts]).values_list("application_id", flat=True))
        for application in drafts:
            application.invites_secretariat = application.pk in invited
    return {a.pk: _decide(facts, callf, a, scored_all=scored_all_for(a)) for a in applications}


# --- outputs that are not about one call's list ---------------------------------------------

# Audit actions on an application, by the part of the Visibility a reader needs to be shown
# them. An action not listed needs `handling` (or `draft` for the authors' own actions), so a
# new kind of event is hidden from the conflicted and from non-authors until someone decides.
AUDIT_ACTIONS = {
    "application.submitted": "application",
    "application.reopened": "application",
    "application.withdrawn": "application",
    "assessment.score": "scores",
    "assessment.vote": "votes",
    "assessment.decision_proposed": "proposals",
    "assessment.decision_concluded": "votes",  # with the count of votes and the rule's explanation
    "assessment.item_started": "deliberation",
    "assessment.item_ended": "deliberation",
}


def may_see_event(visibility: Visibility, action: str) -> bool:
    """Whether an audit event with `action` on an application is shown to a reader who may see
    `visibility` of that application."""
    if not visibility.application:
        return False  # a draft, or an application the reader does not handle: not even that it exists
    needed = AUDIT_ACTIONS.get(action) or ("draft" if action.startswith("application.") else "handling")
    return getattr(visibility, needed)


def without_drafts(views):
    """View-log rows (privacy.PersonalDataView) without the looks at drafts: at an application
    never submitted, or at one before it was submitted. Those rows carry the draft's title and
    name its contact persons, and a draft is its authors' alone (rule 1)."""
    drafted = (
        Application.objects.annotate(key=Cast("pk", output_field=CharField()))
        .filter(key=OuterRef("object_id"))
        .filter(NEVER_SUBMITTED | Q(submitted_at__gt=OuterRef("at")))
    )
    return views.exclude(Q(object_type=Application._meta.label_lower) & Exists(drafted))


def may_notify(user, application: Application) -> bool:
    """Whether a notification about the handling of `application` may go to `user`."""
    return what_may_see(user, application).handling


def published_decision(decisions=None, *, grant=None) -> Decision | None:
    """The part of the assessment that is public: the adopted decision, from an application's
    decisions (a queryset or a prefetched list) or of a grant. Proposals that were not adopted,
    votes and deliberation never leave the committee."""
    if grant is not None:
        decisions = Decision.objects.filter(grant=grant)
    if hasattr(decisions, "filter"):
        return decisions.filter(status=Decision.Status.ADOPTED).select_related("body", "application").first()
    return next((d for d in decisions if d.status == Decision.Status.ADOPTED), None)
