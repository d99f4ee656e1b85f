import datetime
import math

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rsportal.accounts import permissions as account_permissions
from rsportal.applications import progress
from rsportal.applications.models import Application, Call, PatientGroup
from rsportal.core.decorators import role_required
from rsportal.core.models import AuditEvent
from rsportal.funding.models import Commitment
from rsportal.registry.models import BodyMember, Helsefellesskap
from rsportal.registry.services import population_by_helsefellesskap

from . import agenda, documents, domain, headroom, letters, meeting_rules, meeting_views, minutes, proposals, queries, ranking, visibility
from .forms import ConflictDeclareForm, DecisionForm, FormalCheckForm, MeetingForm
from .models import AgendaItem, Conflict, Decision, FormalCheck, Forwarding, Meeting, Score, Vote


def _token(request, name: str, current: str, stale: bool) -> str:
    """The version token a re-drawn form posts back. After a refusal because someone else saved
    first, the current one: the page now says what changed, and saving again is a choice.
    After any other error, the one the person first saw, so a change meanwhile is still caught."""
    if request.method != "POST" or stale:
        return current
    return request.POST.get(name, "")


def _call(request, pk) -> Call:
    call = get_object_or_404(Call.objects.select_related("pot__rhf", "pot__helsefellesskap"), pk=pk)
    if not domain.takes_part(request.user, call):
        raise PermissionDenied(_("Du har ingen rolle i behandlingen av denne utlysningen."))
    return call


@role_required
def index(request):
    """The committee's and the secretariat's way in: every call they take part in."""
    return render(request, "assessment/index.html", {"calls": queries.calls_for(request.user), "prioritisations": queries.prioritisations_for(request.user)})


def _application(request, pk) -> Application:
    application = get_object_or_404(Application.objects.select_related("call__pot__rhf", "call__pot__helsefellesskap", "helsefellesskap"), pk=pk)
    if not domain.takes_part(request.user, application.call):
        raise PermissionDenied(_("Du har ingen rolle i behandlingen av denne søknaden."))
    if application.submitted_at is None:
        raise Http404(_("Søknaden er ikke sendt inn."))  # a draft belongs to its authors
    return application


@role_required
def call_overview(request, pk: int):
    return _overview_page(request, _call(request, pk))


def _overview_page(request, call, *, meeting_form=None, meeting_error: str = ""):
    """The call's applications and meetings. After a refused meeting, the error and the meeting
    as typed (`meeting_form`) are shown again, with status 400."""
    facts = visibility.viewer(request.user)
    applications = queries.overview_applications(call, facts)
    seen = visibility.what_may_see_all(request.user, call, applications, facts=facts)
    for application in applications:
        application.see = seen[application.pk]
        application.blocked_for_me = application.see.conflicted
        application.adopted = visibility.published_decision(list(application.decisions.all())) if application.see.decision else None
    waiting = []
    if call.steps.filter(step="local_prioritisation").exists():
        waiting = list(
            Helsefellesskap.objects.filter(applications__call=call, applications__status=Application.Status.SUBMITTED)
            .annotate(submitted=Count("applications", filter=Q(applications__call=call, applications__status=Application.Status.SUBMITTED)))
            .distinct()
            .order_by("name")
        )
    return render(
        request,
        "assessment/call_overview.html",
        {
            "call": call,
            "applications": applications,
            "manages": domain.manages(request.user, call),
            "waiting": waiting,
            "meetings": call.meetings.select_related("body"),
            "meeting_form": meeting_form or MeetingForm(),
            "meeting_error": meeting_error,
        },
        status=400 if meeting_error else 200,
    )


@role_required
def prioritise(request, pk: int, code: str):
    call = get_object_or_404(Call.objects.select_related("pot__rhf", "pot__helsefellesskap"), pk=pk)
    hf = get_object_or_404(Helsefellesskap, code=code, rhf=call.pot.rhf)
    if not (account_permissions.is_secretariat(request.user, hf) or domain.manages(request.user, call)):
        raise PermissionDenied(_("Bare sekretariatet i helsefellesskapet prioriterer søknadene."))
    submitted = list(call.applications.filter(helsefellesskap=hf, status=Application.Status.SUBMITTED).select_related("forwarding").order_by("pk"))
    errors, stale = [], False
    if request.method == "POST":
        ranked, joint = [], []
        for application in submitted:
            value = request.POST.get(f"rank_{application.pk}", "").strip()
            if request.POST.get(f"joint_{application.pk}"):
                joint.append(application)
            elif value:
                if not value.isdigit():
                    errors.append(_("Prioritet for «%(t)s» må være et tall.") % {"t": application.title})
                    continue
                ranked.append((int(value), application))
        ranks = [r for r, _a in ranked]
        if len(ranks) != len(set(ranks)):
            errors.append(_("To søknader kan ikke ha samme prioritet."))
        if not errors:
            try:
                domain.forward(
                    request.user, call, hf, ranked=[a for _r, a in sorted(ranked, key=lambda x: x[0])], joint=joint, expected=request.POST.get("expected", ""),
                    reasons={a.pk: request.POST.get(f"reason_{a.pk}", "") for a in submitted},
                )
            except domain.AssessmentError as exc:
                errors.append(str(exc))
                stale = isinstance(exc, domain.StaleEdit)
            else:
                messages.success(request, _("Prioriteringen er lagret og sendt videre."))
                # A community's secretariat has no part in the regional call's pages: stay here.
                if domain.takes_part(request.user, call):
                    return redirect("assessment:call", pk=call.pk)
                return redirect("assessment:prioritise", pk=call.pk, code=hf.code)
    for application in submitted:
        forwarding = getattr(application, "forwarding", None)
        if request.method == "POST":
            application.rank_value = request.POST.get(f"rank_{application.pk}", "")
            application.joint_value = bool(request.POST.get(f"joint_{application.pk}"))
            application.reason_value = request.POST.get(f"reason_{application.pk}", "")
        else:
            application.rank_value = forwarding.rank if forwarding and not forwarding.joint else ""
            application.joint_value = bool(forwarding and forwarding.joint)
            application.reason_value = "" if forwarding else progress.forwarding_state(application).reason
    expected = _token(request, "expected", domain.forwarding_fingerprint(call, hf), stale)
    return render(
        request, "assessment/prioritise.html", {"call": call, "hf": hf, "applications": submitted, "errors": errors, "expected": expected}, status=400 if errors else 200
    )


@role_required
def formal_check(request, pk: int):
    application = _application(request, pk)
    if not visibility.what_may_see(request.user, application).handling:
        raise PermissionDenied(_("Du er inhabil i denne saken."))
    existing = getattr(application, "formal_check", None)
    initial = {}
    if existing:
        tri = {True: "yes", False: "no", None: ""}
        initial = {
            "outcome": existing.outcome,
            "note": existing.note,
            "efficient_use": tri[existing.efficient_use],
            "not_ordinary_operation": tri[existing.not_ordinary_operation],
            "digital_compliant": tri[existing.digital_compliant],
        }
    form = FormalCheckForm(request.POST or None, initial=initial)
    stale = False
    if request.method == "POST" and form.is_valid():
        try:
            domain.record_formal_check(request.user, application, **form.cleaned(), expected=request.POST.get("expected", ""))
        except domain.AssessmentError as exc:
            form.add_error(None, str(exc))
            stale = isinstance(exc, domain.StaleEdit)
        else:
            messages.success(request, _("Formell kontroll er lagret."))
            return redirect("assessment:call", pk=application.call_id)
    saved = FormalCheck.objects.filter(application=application).select_related("checked_by").first() if stale else existing
    context = {
        "application": application,
        "form": form,
        "saved": saved,
        "expected": _token(request, "expected", domain.stamp(saved.checked_at if saved else None), stale),
    }
    return render(request, "assessment/formal_check.html", context, status=400 if form.errors else 200)


@role_required
def score(request, pk: int):
    application = _application(request, pk)
    call = application.call
    member = domain.seat(request.user, domain.scoring_body(call))
    see = visibility.what_may_see(request.user, application)
    if see.conflicted:
        raise PermissionDenied(_("Du er inhabil i denne saken og kan ikke se poeng eller drøfting."))
    can_score = domain.scorer(request.user, application) is not None
    criteria = list(domain.criteria_of(call))
    mine = {s.criterion_id: s for s in Score.objects.filter(application=application, member=member)} if member else {}
    errors, posted, stale = [], {}, False
    if request.method == "POST":
        if not can_score:
            raise PermissionDenied(_("Du kan ikke gi poeng på denne søknaden."))
        values = {}
        for criterion in criteria:
            raw = request.POST.get(f"score_{criterion.pk}", "")
            comment = request.POST.get(f"comment_{criterion.pk}", "")
            posted[criterion.pk] = (raw, comment)
            if raw == "":
                continue
            if not raw.isdigit():
                errors.append(_("%(name)s: velg et tall.") % {"name": criterion.name})
                continue
            values[criterion.pk] = (int(raw), comment)
        if not errors:
            try:
                domain.save_scores(request.user, application, values, expected=request.POST.get("expected", ""))
            except domain.AssessmentError as exc:
                errors.append(str(exc))
                stale = isinstance(exc, domain.StaleEdit)
            else:
                messages.success(request, _("Poengene er lagret."))
                return redirect("assessment:score", pk=application.pk)
    rows = []
    for criterion in criteria:
        raw, comment = posted.get(criterion.pk, (str(mine[criterion.pk].value) if criterion.pk in mine else "", mine[criterion.pk].comment if criterion.pk in mine else ""))
        rows.append({"criterion": criterion, "value": raw, "comment": comment, "range": range(criterion.scale_min, criterion.scale_max + 1)})
    others = None
    if see.scores:
        others = Score.objects.filter(application=application).select_related("member", "criterion").order_by("member__name", "criterion__order")
    return render(
        request,
        "assessment/score.html",
        {
            "application": application,
            "rows": rows,
            "can_score": can_score,
            "errors": errors,
            "others": others,
            "hidden": others is None,
            "expected": _token(request, "expected", domain.scores_fingerprint(member, application), stale) if can_score else "",
        },
        status=400 if errors else 200,
    )


def _conflict_form(call, data=None):
    bodies = [b for b in {domain.scoring_body(call), domain.decision_body(call)} if b]
    members = BodyMember.objects.active_on(timezone.localdate()).filter(body__in=bodies).order_by("name")
    return ConflictDeclareForm(domain.candidates(call).order_by("title"), members, data), bodies


def _conflicts_page(request, call, form, bodies, *, decide_error: str = ""):
    rows = list(Conflict.objects.filter(application__call=call).select_related("application", "member__body", "decided_by").order_by("application__title", "member__name"))
    # The conflicts on an application are part of its handling: a member conflicted on it sees their own only.
    applications = list(call.applications.filter(pk__in={r.application_id for r in rows}).prefetch_related("participants", "conflicts"))
    seen = visibility.what_may_see_all(request.user, call, applications)
    mine = {s.pk for s in account_permissions.active_seats(request.user)}
    rows = [r for r in rows if seen[r.application_id].handling or r.member_id in mine]
    by_id = {a.pk: a for a in applications}
    for row in rows:
        row.application = by_id[row.application_id]  # with its conflicts, which the rule reads
        row.may_decide = domain.may_decide_conflict(request.user, row)
    context = {"call": call, "rows": rows, "form": form, "decide_error": decide_error}
    return render(request, "assessment/conflicts.html", context, status=400 if form.errors or decide_error else 200)


@role_required
def conflicts(request, pk: int):
    call = _call(request, pk)
    form, bodies = _conflict_form(call, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain.declare_conflict(request.user, form.cleaned_data["application"], form.cleaned_data["member"], form.cleaned_data["reason"])
        except domain.AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Habilitetsspørsmålet er meldt til leder."))
            return redirect("assessment:conflicts", pk=call.pk)
    return _conflicts_page(request, call, form, bodies)


@require_POST
@role_required
def conflicts_detect(request, pk: int):
    call = _call(request, pk)
    created = domain.detect_conflicts(request.user, call)
    messages.success(request, _("Sjekket: %(n)s nye mulige inhabiliteter.") % {"n": len(created)})
    return redirect("assessment:conflicts", pk=call.pk)


@require_POST
@role_required
def conflict_decide(request, pk: int):
    conflict = get_object_or_404(Conflict.objects.select_related("application__call"), pk=pk)
    call = _call(request, conflict.application.call_id)
    try:
        domain.decide_conflict(
            request.user, conflict, conflicted=request.POST.get("conflicted") == "yes", expected_status=request.POST.get("expected_status", "")
        )
    except domain.AssessmentError as exc:
        form, bodies = _conflict_form(call)
        return _conflicts_page(request, call, form, bodies, decide_error=str(exc))
    conflict.refresh_from_db()
    messages.success(request, _("Habiliteten er avgjort.") if conflict.decided_at else _("Stemmen din er registrert; organet avgjør når flertallet har stemt."))
    return redirect("assessment:conflicts", pk=call.pk)


def _ranking_rows(request, call, *, detailed=False):
    criteria = list(domain.criteria_of(call))
    if detailed:  # the Excel download also lists every member's scores
        applications = queries.ranking_applications(call)
        access = queries.score_access(request.user, call, applications, criteria_count=len(criteria))
        visible = [a for a in applications if access.may_see(a)]
        hidden = [a for a in applications if not access.may_see(a)]
        scores = queries.detailed_scores(visible)
        return ranking.build(visible, criteria, scores), criteria, hidden, access, scores
    # The page: the columns it shows, the scores summed per criterion in the database.
    facts = visibility.viewer(request.user)
    applications = queries.ranking_page_applications(call, facts)
    access = queries.score_access(request.user, call, applications, criteria_count=len(criteria), facts=facts)
    visible = [a for a in applications if access.may_see(a)]
    hidden = [a for a in applications if not access.may_see(a)]
    totals, scorers = queries.score_table(visible, criteria)
    return ranking.build_from_totals(visible, criteria, totals, scorers), criteria, hidden, access, None


@role_required
def ranking_page(request, pk: int):
    call = _call(request, pk)
    prefetch_related_objects([call], "steps")  # the visibility rule and the scoring seat both read them
    rows, criteria, hidden, access, _scores = _ranking_rows(request, call)
    # One table with both ranks and both scores; sorted by the committee's weights unless asked otherwise.
    by_equal = request.GET.get("sortering") == "likt"
    rank = (lambda r: r.equal_rank) if by_equal else (lambda r: r.weighted_rank)
    context = {"call": call, "rows": sorted(rows, key=lambda r: (rank(r) or 10_000, r.application.title)), "by_equal": by_equal, "criteria": criteria, "hidden": hidden}
    # The optimiser weighs every candidate, so its proposal is only for those who see them all.
    if access.optimiser and (access.manages or access.member):
        context.update(_proposal(request, call, rows))
    return render(request, "assessment/ranking.html", context)


def _proposal(request, call, rows):
    """Decision support: the exact optimiser's proposal beside the plain ranking."""
    from . import optimiser

    scored = [r for r in rows if r.weighted is not None]
    if not scored:
        return {}
    year = call.frame_year
    hf_codes = {r.application.helsefellesskap_id: r.application.helsefellesskap.code for r in scored}
    population = population_by_helsefellesskap(timezone.localdate())
    communities = Helsefellesskap.objects.filter(rhf=call.pot.rhf)
    total_population = sum(population.get(h.pk, 0) for h in communities) or 1
    shares = {h.code: population.get(h.pk, 0) / total_population for h in communities}
    # The call's own grants (as its decisions are adopted) are part of what the proposal decides,
    # not earlier allocations or money already gone: otherwise the proposal for a call being
    # decided, or decided, would be measured against a pot its own grants have already used.
    own = Commitment.objects.filter(pot_year__pot=call.pot, grant__decision__application__call=call, status__in=Commitment.ACTIVE)
    earlier = dict(
        Commitment.objects.filter(pot_year__pot=call.pot, grant__helsefellesskap__isnull=False, status__in=Commitment.ACTIVE)
        .exclude(pk__in=own.values("pk"))
        .values("grant__helsefellesskap__code")
        .annotate(total=Sum("amount"))
        .values_list("grant__helsefellesskap__code", "total")
    )
    covered = queries.covered_patient_groups(call)
    if request.GET.get("grupper") is not None:
        uncovered = frozenset(g for g in request.GET.getlist("gruppe") if g in PatientGroup.values)
    else:
        uncovered = frozenset(PatientGroup.values) - covered
    balance_weight = _number(request.GET.get("balanse"), 20.0)
    group_bonus = _number(request.GET.get("bonus"), 5.0)
    candidates = []
    for row in scored:
        application = row.application
        by_year = application.applied_years  # Application.applied_by_year, summed in the database
        amount = by_year.get(year) or (next(iter(by_year.values())) if by_year else 0)
        if amount <= 0:
            continue
        forwarding = getattr(application, "forwarding", None)
        candidates.append(
            optimiser.Candidate(
                key=application.pk,
                title=application.title,
                helsefellesskap=hf_codes[application.helsefellesskap_id],
                amount=amount,
                score=float(row.weighted),
                pre_project=application.type == "pre_project",
                municipality_count=application.municipality_count,
                patient_groups=frozenset(application.patient_groups),
                joint=bool(forwarding and forwarding.joint),
                amounts_by_year=tuple(by_year.items()),
            )
        )
    if not candidates or not call.frame_amount:
        return {"proposal_missing": _("Forslag krever en ramme på utlysningen og søkte beløp.")}
    rules = optimiser.Rules(
        frame=call.frame_amount,
        max_per_helsefellesskap=call.max_forwarded_per_helsefellesskap,
        pre_project_caps={c.min_municipalities: c.max_amount for c in call.pre_project_caps.all()},
        population_share=shares,
        earlier_allocations={k: int(v) for k, v in earlier.items()},
        balance_weight=balance_weight,
        uncovered_groups=uncovered,
        group_bonus=group_bonus,
        # From the first year any candidate applies for: earlier years of the pot hold no proposal's money.
        year_frames=_frames_for_call(call, own, since=min((y for c in candidates for y, _a in c.amounts_by_year), default=None)),
        # The reasons name groups and communities as the committee knows them, never by code.
        group_names={code: str(label) for code, label in PatientGroup.choices},
        helsefellesskap_names={h.code: h.name for h in [*communities, *(r.application.helsefellesskap for r in scored)]},
    )
    proposal = queries.proposal(candidates, rules)
    by_key = {c.key: c for c in candidates}
    titles = {r.application.pk: r.application for r in scored}
    return {
        "proposal": proposal,
        "proposal_rows": [
            {"application": titles[c.key], "candidate": c, "proposed": c.key in proposal.selected, "plain": c.key in proposal.plain_selected, "reason": proposal.reasons.get(c.key, "")}
            for c in sorted(candidates, key=lambda c: -c.score)
        ],
        "proposal_amount_plain": sum(by_key[k].amount for k in proposal.plain_selected),
        "proposal_years": [
            (year, free, sum(dict(by_key[k].amounts_by_year).get(year, 0) for k in proposal.selected)) for year, free in sorted(rules.year_frames.items())
        ],
        # The relative gap HiGHS proved when it stopped at the time limit, in per cent; None when it found nothing.
        "proposal_gap_percent": None if math.isinf(proposal.mip_gap) else proposal.mip_gap * 100,
        "uncovered": uncovered,
        "patient_groups": PatientGroup.choices,
        "balance_weight": balance_weight,
        "group_bonus": group_bonus,
    }


def _frames_for_call(call, own, *, since):
    """What the pot has free in each year for the call's proposal: free now, plus what the call's
    own grants hold (see `_proposal`)."""
    frames = headroom.year_frames(call.pot, since=since)
    for year, amount in own.values("pot_year__year").annotate(total=Sum("amount")).values_list("pot_year__year", "total").order_by():
        if year in frames:
            frames[year] += amount
    return frames


def _number(raw, default):
    try:
        value = float((raw or "").replace(",", "."))
    except ValueError:
        return default
    return value if 0 <= value <= 1000 else default


@role_required
def ranking_xlsx(request, pk: int):
    call = _call(request, pk)
    rows, criteria, _hidden, _access, scores = _ranking_rows(request, call, detailed=True)
    response = HttpResponse(documents.ranking_workbook(call, rows, criteria, scores), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="rangering-{call.pk}.xlsx"'
    return response


@require_POST
@role_required
def meeting_new(request, pk: int):
    call = _call(request, pk)
    form = MeetingForm(request.POST)
    if not form.is_valid():
        return _overview_page(request, call, meeting_form=form, meeting_error=_("Sjekk møtetidspunktet og minuttene per prosjekt."))
    try:
        meeting = domain.schedule_meeting(request.user, call, **form.cleaned_data)
    except domain.AssessmentError as exc:
        # The call page again with the meeting as typed, so nothing is lost.
        return _overview_page(request, call, meeting_form=form, meeting_error=str(exc))
    messages.success(request, _("Møtet er satt opp med tidsplan."))
    return redirect("assessment:meeting", pk=meeting.pk)


def _meeting(request, pk):
    meeting = get_object_or_404(Meeting.objects.select_related("call__pot__rhf", "call__pot__helsefellesskap", "body"), pk=pk)
    if not domain.takes_part(request.user, meeting.call):
        raise PermissionDenied(_("Du har ingen rolle i dette møtet."))
    return meeting


def _agenda(meeting):
    items = list(meeting.items.select_related("application__helsefellesskap").prefetch_related("application__conflicts__member", "application__participants", "left_room", "decisions__votes__member"))
    members = {m.pk: m for m in BodyMember.objects.filter(body=meeting.body)}
    for item in items:
        item.out = [members[m] for m in domain.conflicted_members(item.application) if m in members]
    out_runs = [(members.get(member), items[first].order, items[last].order) for member, first, last in agenda.runs(items, lambda i: {m.pk for m in i.out})]
    return items, out_runs


@role_required
def meeting_detail(request, pk: int):
    meeting = _meeting(request, pk)
    items, out_runs = _agenda(meeting)
    return render(
        request,
        "assessment/meeting.html",
        {
            "meeting": meeting,
            "items": items,
            "out_runs": out_runs,
            "leaves": len(out_runs),
            "runs_meeting": domain.runs_meeting(request.user, meeting.body),
            "may_approve_minutes": not meeting.minutes_approved_at and minutes.may_approve(request.user, meeting),
        },
    )


@role_required
def meeting_chair(request, pk: int):
    """The chair's meeting view: one item at a time, with a timer and the votes."""
    meeting = _meeting(request, pk)
    try:
        number = int(request.GET.get("sak", "1"))
    except ValueError:
        number = 1
    return _chair_page(request, meeting, number=number)


def _chair_page(request, meeting, *, number: int = 1, item_pk: int | None = None, error: str = "", deliberation: str | None = None, decision_form=None):
    """The meeting view at item `number` (or the item `item_pk`). After a refusal, `error` and
    what the person typed (`deliberation`, `decision_form`) are shown again."""
    items, _runs = _agenda(meeting)
    if not items:
        raise Http404
    if item_pk is not None:
        index = next(i for i, candidate in enumerate(items) if candidate.pk == item_pk)
    else:
        index = max(0, min(len(items) - 1, number - 1))
    item = items[index]
    me = domain.seat(request.user, meeting.body)
    see = visibility.what_may_see(request.user, item.application)
    decision = next((d for d in item.application.decisions.all() if d.status != Decision.Status.NOT_ADOPTED), None)
    years = sorted(item.application.applied_by_year()) or [meeting.call.frame_year or timezone.localdate().year]
    initial = {f"amount_{y}": a for y, a in item.application.applied_by_year().items()}
    eligible = domain.eligible_voters(decision) if decision else set()
    pending = decision if decision is not None and decision.status == Decision.Status.PROPOSED else None
    form = decision_form or DecisionForm(years, initial=initial)
    money = proposals.chair_extras(request.user, item.application, pending, form)
    if money["amend_initial"] is not None:
        money["amend_form"] = DecisionForm(years, initial=money["amend_initial"])
    return render(
        request,
        "assessment/chair.html",
        {
            "meeting": meeting,
            "item": item,
            "items": items,
            "index": index,
            "previous": index if index > 0 else None,
            "next": index + 2 if index + 1 < len(items) else None,
            "conflicted": see.conflicted,
            "see": see,
            "runs_meeting": domain.runs_meeting(request.user, meeting.body),
            "decision": decision,
            "decision_form": form,
            **money,
            "proposal_kept": decision_form is not None,
            "expected_pending": str(pending.pk) if pending else "",
            "expected_ended_at": domain.stamp(item.ended_at),
            "deliberation_kept": deliberation,
            "error": error,
            "can_vote": me is not None and decision is not None and me.pk in eligible and decision.status == Decision.Status.PROPOSED,
            "my_vote": next((v.get_choice_display() for v in decision.votes.all() if me and v.member_id == me.pk), None) if decision else None,
            "eligible_count": len(eligible),
            "seconds": meeting.pitch_minutes * 60,
            **meeting_views.chair_extras(request.user, meeting, item),
        },
        status=400 if error else 200,
    )


def _item(request, pk):
    item = get_object_or_404(AgendaItem.objects.select_related("meeting__call", "meeting__body", "application"), pk=pk)
    _meeting(request, item.meeting_id)
    return item


def _back(item):
    return redirect(reverse("assessment:chair", args=[item.meeting_id]) + f"?sak={item.order}")


@require_POST
@role_required
def item_start(request, pk: int):
    item = _item(request, pk)
    try:
        domain.start_item(request.user, item, confirm_early=request.POST.get("confirm_early") == "1")
    except domain.AssessmentError as exc:
        return _chair_page(request, item.meeting, item_pk=item.pk, error=str(exc))
    return _back(item)


@require_POST
@role_required
def item_end(request, pk: int):
    item = _item(request, pk)
    deliberation = request.POST.get("deliberation", "")
    try:
        domain.end_item(request.user, item, deliberation, expected_ended_at=request.POST.get("expected_ended_at", ""))
    except domain.AssessmentError as exc:
        return _chair_page(request, item.meeting, item_pk=item.pk, error=str(exc), deliberation=deliberation)
    return _back(item)


@require_POST
@role_required
def decision_propose(request, pk: int):
    item = _item(request, pk)
    years = sorted(item.application.applied_by_year()) or [item.meeting.call.frame_year or timezone.localdate().year]
    form = DecisionForm(years, request.POST)
    if form.is_valid():
        try:
            domain.propose_decision(
                request.user,
                item.application,
                outcome=form.cleaned_data["outcome"],
                amounts=form.amounts(),
                reason=form.cleaned_data["reason"],
                part_description=form.cleaned_data["part_description"],
                item=item,
                expected_pending=request.POST.get("expected_pending", ""),
            )
        except domain.StaleEdit as exc:
            return _chair_page(request, item.meeting, item_pk=item.pk, error=str(exc), decision_form=form)
        except domain.AssessmentError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Forslaget er lagt fram til avstemning."))
            return _back(item)
    else:
        error = _("Forslaget mangler begrunnelse eller har ugyldige beløp.")
    # The meeting page again with the proposal as typed, so nothing is lost.
    response = _chair_page(request, item.meeting, item_pk=item.pk, error=error, decision_form=form)
    response.status_code = 400
    return response


def _back_to_decision(decision):
    """After a vote, a conclusion or a withdrawal: back to the item on the chair page."""
    if decision.item:
        return redirect(reverse("assessment:chair", args=[decision.item.meeting_id]) + f"?sak={decision.item.order}")
    return redirect("assessment:call", pk=decision.application.call_id)


@require_POST
@role_required
def vote(request, pk: int):
    decision = get_object_or_404(Decision.objects.select_related("item", "application__call"), pk=pk)
    _call(request, decision.application.call_id)
    try:
        domain.cast_vote(request.user, decision, request.POST.get("choice", ""))
    except domain.AssessmentError as exc:
        messages.error(request, str(exc))
    return _back_to_decision(decision)


@require_POST
@role_required
def decision_conclude(request, pk: int):
    decision = get_object_or_404(Decision.objects.select_related("item", "application__call"), pk=pk)
    _call(request, decision.application.call_id)
    try:
        result = domain.conclude(request.user, decision, later_years_conditional=request.POST.get("conditional", "1") == "1")
    except domain.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        (messages.success if result.adopted else messages.warning)(request, result.explanation)
    return _back_to_decision(decision)


@require_POST
@role_required
def decision_withdraw(request, pk: int):
    """A pending proposal is withdrawn by its proposer or the one running the meeting."""
    decision = get_object_or_404(Decision.objects.select_related("item", "application__call"), pk=pk)
    _call(request, decision.application.call_id)
    try:
        proposals.withdraw_proposal(request.user, decision, request.POST.get("reason", ""))
    except domain.AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Forslaget er trukket, og stemmene som var avgitt, faller bort."))
    return _back_to_decision(decision)


@role_required
def minutes_pdf(request, pk: int):
    # The minutes are redacted per reader rather than refused: a conflicted member reads, on
    # their items, who left the room and the adopted decision (which is public), but not the
    # deliberation, the proposals that were not adopted or how the vote went (minutes.py).
    meeting = _meeting(request, pk)
    response = HttpResponse(minutes.render(request.user, meeting), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="protokoll-{meeting.pk}.pdf"'
    return response


@role_required
def letter_pdf(request, pk: int):
    decision = get_object_or_404(Decision.objects.select_related("application__call__pot__rhf", "application__helsefellesskap", "body", "grant"), pk=pk, status=Decision.Status.ADOPTED)
    application = decision.application
    if not visibility.what_may_see(request.user, application).decision:
        raise PermissionDenied(_("Du har ikke tilgang til dette vedtaket."))
    content = letters.pdf(letters.for_decision(decision))
    response = HttpResponse(content, content_type="application/pdf")
    name = application.case_number.replace("/", "-") or application.pk
    response["Content-Disposition"] = f'inline; filename="vedtak-{name}.pdf"'
    return response


@role_required
def audit(request, pk: int):
    """The append-only trail of everything done with the call and its applications."""
    call = _call(request, pk)
    if not domain.manages(request.user, call):
        raise PermissionDenied(_("Revisjonssporet er for sekretariatet."))
    # Every event on an application is shown only as far as the reader may see that application:
    # nothing of drafts (not even that they exist), nothing of the authors' edits (draft titles,
    # attachment names), and to a reader who is conflicted nothing of the assessment of the item.
    applications = list(call.applications.select_related("call__pot").prefetch_related("participants", "conflicts"))
    seen = {str(pk): v for pk, v in visibility.what_may_see_all(request.user, call, applications).items()}
    meeting_ids = [str(pk) for pk in call.meetings.values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(
        Q(object_type="applications.application", object_id__in=list(seen))
        | Q(object_type="applications.call", object_id=str(call.pk))
        | Q(object_type="assessment.meeting", object_id__in=meeting_ids)
    ).select_related("actor")[:1000]
    events = [e for e in events if e.object_type != "applications.application" or visibility.may_see_event(seen[e.object_id], e.action)]
    return render(request, "assessment/audit.html", {"call": call, "events": events})
