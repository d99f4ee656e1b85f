#!/usr/bin/env python
"""Generate a national-scale RS-portalen dataset for benchmarking.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rsbench \\
        .venv/bin/python bench/generate.py --scale 1.0 [--seed 2026] [--info bench-info.json]

Loads the real registry snapshot, then for the 19 helsefellesskap and the ten years 2024-2033:

- money: one appropriation per RHF and year (booked with funding.domain), one application pot per
  helsefellesskap funded from the RHF's root pot by yearly transfers, an administration reserve per
  pot-year. Frames are sized from the commitments, so frame >= commitments + reserves holds for every
  pot-year (checked at the end, the script fails otherwise);
- one call per pot-year with the six default criteria, a deadline and process steps (formal check by the
  community's secretariat, scoring and decision by its SSU, or its partnership body where it has no SSU);
- about 10 000 x scale submitted applications, spread over the communities by population, each with
  participants (municipalities of the community and its trust), budget lines, benefit rows;
- eight committee members per community who score every application on every criterion, except where
  they have a conflict of interest (some are flagged, by organisation or self-declared);
- adopted decisions for ~40 % of the applications (~80 % of them granting), with a grant and one
  commitment per year for the granting ones, and a follow-up report for about half of the grants.

Bulk inserts are used for the volume rows (applications and everything below them); the money's
skeleton goes through the domain functions, with a superuser as actor. Seeded and deterministic:
the same seed and scale give the same rows (timestamps aside).

Bench users (password BENCH_PASSWORD): bench.sekretariat (secretariat of the bench community),
bench.medlem (member of its deciding body, scores everything), bench.soker (applicant for Tromsø
kommune) and bench.admin (superuser, the actor of the money). The bench server runs with
RSPORTAL_REQUIRE_2FA=false, so no TOTP device is needed.
"""

import argparse
import datetime
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsportal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from rsportal.accounts.models import OrganisationRole  # noqa: E402
from rsportal.applications.criteria import HELSE_NORD_2026  # noqa: E402
from rsportal.applications.models import (  # noqa: E402
    Application,
    ApplicationType,
    BenefitRow,
    BudgetLine,
    Call,
    Criterion,
    Deadline,
    Participant,
    PatientGroup,
    ProcessStep,
    Theme,
)
from rsportal.assessment.models import Conflict, Decision, Score  # noqa: E402
from rsportal.followup.models import Report  # noqa: E402
from rsportal.funding import domain  # noqa: E402
from rsportal.funding.models import Appropriation, Commitment, Grant, Pot, PotYear  # noqa: E402
from rsportal.registry import importers, services  # noqa: E402
from rsportal.registry.models import Body, BodyMember, Helsefellesskap, Membership, Municipality  # noqa: E402

BENCH_PASSWORD = "bench-passord-2024"
USERNAMES = {
    "admin": "bench.admin",
    "secretariat": "bench.sekretariat",
    "member": "bench.medlem",
    "applicant": "bench.soker",
}
APPLICANT_MUNICIPALITY = "5501"  # Tromsø, as in the demo
YEARS = list(range(2024, 2034))
PROJECTS_AT_SCALE_1 = 10_000
MEMBERS_PER_COMMITTEE = 8
BATCH = 5000

# Words for titles and descriptions, so that the catalogue search has something to find.
MEASURES = [
    "Digital hjemmeoppfølging",
    "Ambulant team",
    "Felles rehabiliteringsforløp",
    "Kombinerte stillinger",
    "Hospitering",
    "Læringsnettverk",
    "Felles akutteam",
    "Videokonsultasjon",
    "Samhandlingsforløp",
    "Tverrfaglig poliklinikk",
    "Intermediær døgnpost",
    "Simuleringstrening",
    "Felles kompetansesenter",
    "Oppfølgingsteam",
    "Pasientsentrert helsetjenesteteam",
]
GROUPS = [
    "skrøpelige eldre",
    "barn og unge",
    "personer med psykiske lidelser",
    "pasienter med kroniske sykdommer",
    "gravide og nybakte foreldre",
    "personer med rusproblemer",
    "utskrivningsklare pasienter",
    "pasienter i rehabilitering",
    "personer med demens",
    "sykehjemsbeboere",
]
PURPOSES = [
    "færre reinnleggelser",
    "kortere ventetid",
    "bedre overganger mellom sykehus og kommune",
    "mer tid hjemme",
    "rekruttering av sykepleiere",
    "digitalisering av samhandlingen",
    "tryggere legemiddelbruk",
    "riktig arbeidsdeling",
]


def log(message: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {message}", flush=True)


def aware(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def round_up(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step)


def pick_weighted(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """k distinct items, drawn by weight (without replacement)."""
    items, weights = list(items), list(weights)
    chosen = []
    for _ in range(min(k, len(items))):
        i = rng.choices(range(len(items)), weights=weights)[0]
        chosen.append(items.pop(i))
        weights.pop(i)
    return chosen


def users(rng: random.Random, communities) -> dict:
    User = get_user_model()
    password = make_password(BENCH_PASSWORD)  # hashed once: PBKDF2 is slow on purpose
    people = {}
    for role, username in USERNAMES.items():
        people[role] = User.objects.create(
            username=username,
            first_name="Bench",
            last_name=role.capitalize(),
            email=f"{username}@bench.invalid",
            password=password,
            is_staff=role == "admin",
            is_superuser=role == "admin",
        )
    # One author per community, for Application.created_by and Report.submitted_by.
    authors = User.objects.bulk_create(
        [
            User(username=f"bench.forfatter.{hf.code}", first_name="Forfatter", last_name=hf.name, email=f"forfatter.{hf.code}@bench.invalid", password=password)
            for hf in communities
        ]
    )
    people["authors"] = {hf.pk: user for hf, user in zip(communities, authors)}
    return people


def committee_body(hf) -> Body:
    bodies = {b.kind: b for b in reversed(list(hf.bodies.order_by("pk")))}
    for kind in (Body.Kind.SSU, Body.Kind.PARTNERSHIP, Body.Kind.ASSESSMENT, Body.Kind.FSU):
        if kind in bodies:
            return bodies[kind]
    return Body.objects.create(kind=Body.Kind.SSU, name="Strategisk samarbeidsutvalg (benchmark)", helsefellesskap=hf)


def secretariat_body(hf) -> Body:
    body = hf.bodies.filter(kind=Body.Kind.SECRETARIAT).order_by("pk").first()
    return body or Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekretariat (benchmark)", helsefellesskap=hf)


def generate(scale: float, seed: int) -> dict:
    started = time.monotonic()
    rng = random.Random(seed)
    if Appropriation.objects.exists() or Application.objects.exists():
        raise SystemExit("The database already holds money or applications; generate into a fresh database.")

    log("registry snapshot")
    importers.load_snapshot()
    communities = list(Helsefellesskap.objects.select_related("rhf", "trust").order_by("code"))
    day = datetime.date(2026, 1, 1)
    population = services.population_by_helsefellesskap(day)
    total_population = sum(population.values()) or 1
    members_of: dict[int, list[Municipality]] = defaultdict(list)
    for membership in Membership.objects.valid_on(day).select_related("municipality").order_by("helsefellesskap_id", "municipality__number"):
        members_of[membership.helsefellesskap_id].append(membership.municipality)
    muni_population = {f.municipality_id: f.population for f in services.latest_figures([m.pk for ms in members_of.values() for m in ms], day).values()}

    people = users(rng, communities)
    admin = people["admin"]
    applicant_municipality = Municipality.objects.get(number=APPLICANT_MUNICIPALITY)
    OrganisationRole.objects.create(
        user=people["applicant"], kind=OrganisationRole.Kind.APPLICANT, municipality=applicant_municipality, valid_from=datetime.date(2020, 1, 1)
    )
    # The bench community: the most populous one with ten or more municipalities (Oslo is one
    # municipality, so every application there would involve every municipal committee member).
    bench_hf = max((hf for hf in communities if len(members_of[hf.pk]) >= 10), key=lambda hf: (population.get(hf.pk, 0), hf.code))

    log("bodies and committee seats")
    committee = {hf.pk: committee_body(hf) for hf in communities}
    secretariat = {hf.pk: secretariat_body(hf) for hf in communities}
    seat_rows = []
    for hf in communities:
        municipalities = members_of[hf.pk]
        for i in range(MEMBERS_PER_COMMITTEE):
            municipality_side = i % 2 == 0
            seat_rows.append(
                BodyMember(
                    body=committee[hf.pk],
                    user=people["member"] if (hf.pk == bench_hf.pk and i == 1) else None,
                    name=f"Medlem {i + 1} {hf.name}",
                    side=BodyMember.Side.MUNICIPALITY if municipality_side else BodyMember.Side.TRUST,
                    role=BodyMember.Role.LEADER if i == 0 else BodyMember.Role.MEMBER,
                    voting=True,
                    # Where a community has few municipalities the municipal seats speak for all of them.
                    municipality=rng.choice(municipalities) if municipality_side and len(municipalities) >= 8 else None,
                    trust=None if municipality_side else hf.trust,
                    start=datetime.date(2020, 1, 1),
                )
            )
    BodyMember.objects.bulk_create(seat_rows)
    BodyMember.objects.create(
        body=secretariat[bench_hf.pk],
        user=people["secretariat"],
        name="Bench Sekretariat",
        side=BodyMember.Side.MUNICIPALITY,
        role=BodyMember.Role.SECRETARY,
        start=datetime.date(2020, 1, 1),
    )
    seats = defaultdict(list)
    for seat in BodyMember.objects.filter(body__in=committee.values(), start=datetime.date(2020, 1, 1)).order_by("pk"):
        seats[seat.body_id].append(seat)

    # --- plan everything in memory first, so the frames can be sized from the commitments ---
    log("planning applications")
    # Applications per year stay the same however many years of history there are (--history).
    n_total = max(len(communities) * len(YEARS), int(round(PROJECTS_AT_SCALE_1 * scale * len(YEARS) / 10)))
    weight = {hf.pk: 0.4 / len(communities) + 0.6 * population.get(hf.pk, 0) / total_population for hf in communities}
    plans = []  # one dict per application
    for hf in communities:
        municipalities = members_of[hf.pk]
        muni_weights = [math.sqrt(muni_population.get(m.pk, 1000)) for m in municipalities]
        for year in YEARS:
            expected = n_total * weight[hf.pk] / len(YEARS)
            count = max(1, int(round(expected * rng.uniform(0.85, 1.15))))
            for _ in range(count):
                kind = rng.choices(
                    [ApplicationType.PROJECT, ApplicationType.PRE_PROJECT, ApplicationType.CONTINUATION], weights=[75, 15, 10]
                )[0]
                length = 1 if kind == ApplicationType.PRE_PROJECT else rng.choice([1, 2, 2, 3, 3, 3])
                project_years = [y for y in range(year, year + length) if y <= YEARS[-1]]
                owners = pick_weighted(rng, municipalities, muni_weights, rng.choice([1, 1, 2, 2, 3, 4, 6])) if municipalities else []
                measure, group, purpose = rng.choice(MEASURES), rng.choice(GROUPS), rng.choice(PURPOSES)
                amounts = {y: round_up(rng.uniform(150_000, 2_000_000 if kind != ApplicationType.PRE_PROJECT else 600_000), 10_000) for y in project_years}
                plans.append(
                    {
                        "hf": hf,
                        "year": year,
                        "type": kind,
                        "title": f"{measure} for {group} i {hf.name}",
                        "goal": f"{measure} skal gi {purpose} for {group}. Kommunene og {hf.trust.name} gjør dette sammen.",
                        "owners": owners,
                        "with_trust": rng.random() < 0.85 or not owners,
                        "amounts": amounts,
                        "quality": rng.random(),
                        "themes": rng.sample([t.value for t in Theme], rng.choice([1, 1, 2])),
                        "patient_groups": rng.sample([g.value for g in PatientGroup], rng.choice([1, 2, 2, 3])),
                        "decided": rng.random() < 0.40,
                        "granting": rng.random() < 0.80,
                        "partial": rng.random() < 0.30,
                        "report": rng.random() < 0.5,
                    }
                )
    for plan in plans:
        if plan["decided"] and plan["granting"]:
            factor = 0.7 if plan["partial"] else 1.0
            plan["granted"] = {y: max(10_000, round_up(a * factor, 10_000)) for y, a in plan["amounts"].items()}
        else:
            plan["granted"] = {}

    need = defaultdict(int)  # (hf pk, year) -> committed
    for plan in plans:
        for y, a in plan["granted"].items():
            need[(plan["hf"].pk, y)] += a
    frames, reserves = {}, {}
    for hf in communities:
        for year in YEARS:
            frame = max(5_000_000, round_up(need[(hf.pk, year)] / 0.85, 100_000))
            frames[(hf.pk, year)] = frame
            reserves[(hf.pk, year)] = round_up(frame * 0.05, 10_000)

    # --- money through the domain functions ---
    log("money: appropriations, pots, transfers, reserves (domain functions)")
    with transaction.atomic():
        by_rhf = defaultdict(list)
        for hf in communities:
            by_rhf[hf.rhf_id].append(hf)
        hf_pot = {}
        for rhf_id, hfs in sorted(by_rhf.items()):
            rhf = hfs[0].rhf
            for year in YEARS:
                amount = sum(frames[(hf.pk, year)] for hf in hfs) + 2_000_000
                appropriation = Appropriation.objects.create(
                    year=year,
                    name=f"RS-tilskudd {year} – {rhf.name} (benchmark)",
                    amount=amount,
                    rhf=rhf,
                    expected=year > 2026,
                    reference="Generert for ytelsestest",
                )
                domain.book_appropriation(admin, appropriation)
            root = domain.root_pot(rhf)
            for hf in hfs:
                hf_pot[hf.pk] = pot = domain.create_pot(
                    admin, parent=root, name=f"Søknadsbasert pott – {hf.name}", kind=Pot.Kind.APPLICATION, helsefellesskap=hf
                )
                for year in YEARS:
                    domain.transfer(admin, source=root, target=pot, year=year, amount=frames[(hf.pk, year)], note="Overføring (benchmark)")
                    domain.set_reserve(admin, pot=pot, year=year, kind="administration", amount=reserves[(hf.pk, year)], note="Administrasjon")
    pot_year_id = {(py.pot_id, py.year): py.pk for py in PotYear.objects.filter(pot__in=hf_pot.values())}

    # --- calls ---
    log("calls, criteria, deadlines, steps")
    call_of = {}
    with transaction.atomic():
        calls = []
        for hf in communities:
            for year in YEARS:
                call = Call(
                    pot=hf_pot[hf.pk],
                    title=f"Utlysning {year} – {hf.name}",
                    status=Call.Status.CLOSED if year <= 2026 else Call.Status.PUBLISHED,
                    purpose="Tilskudd til samarbeid mellom kommunene og helseforetaket (benchmarkdata).",
                    priorities="Prioriterte pasientgrupper\nRedusert ventetid",
                    eligibility="Signert avtale om felles søknad",
                    frame_amount=frames[(hf.pk, year)] - reserves[(hf.pk, year)],
                    frame_year=year,
                    max_project_years=3,
                )
                calls.append(call)
                call_of[(hf.pk, year)] = call
        Call.objects.bulk_create(calls)
        Criterion.objects.bulk_create(
            Criterion(call=call, order=i, name=name, description=text, scale_min=low, scale_max=high, weight=w)
            for call in calls
            for i, (name, text, low, high, w) in enumerate(HELSE_NORD_2026, start=1)
        )
        Deadline.objects.bulk_create(Deadline(call=call, at=aware(datetime.date(call.frame_year - 1, 10, 1)), label="Søknadsfrist") for call in calls)
        steps = []
        for (hf_pk, _year), call in call_of.items():
            steps += [
                ProcessStep(call=call, step=ProcessStep.Step.FORMAL_CHECK, body=secretariat[hf_pk]),
                ProcessStep(call=call, step=ProcessStep.Step.SCORING, body=committee[hf_pk]),
                ProcessStep(call=call, step=ProcessStep.Step.DECISION, body=committee[hf_pk]),
            ]
        ProcessStep.objects.bulk_create(steps)
    criteria_of = defaultdict(list)
    for criterion in Criterion.objects.filter(call__in=calls).order_by("call_id", "order"):
        criteria_of[criterion.call_id].append(criterion)

    # --- applications and everything below them ---
    log(f"{len(plans)} applications")
    with transaction.atomic():
        applications = []
        for plan in plans:
            hf, year = plan["hf"], plan["year"]
            submitted = aware(datetime.date(year - 1, 9, 1) + datetime.timedelta(days=rng.randrange(25)))
            years = sorted(plan["amounts"])
            applications.append(
                Application(
                    call=call_of[(hf.pk, year)],
                    helsefellesskap=hf,
                    type=plan["type"],
                    status=Application.Status.SUBMITTED,
                    title=plan["title"],
                    project_owners=", ".join([m.name for m in plan["owners"]] + ([hf.trust.name] if plan["with_trust"] else [])),
                    agreement_date=submitted.date() - datetime.timedelta(days=10),
                    start_date=datetime.date(years[0], 1, 1),
                    end_date=datetime.date(years[-1], 12, 31),
                    goal=plan["goal"],
                    target_group=plan["title"].split(" for ", 1)[1].split(" i ", 1)[0],
                    patient_groups=plan["patient_groups"],
                    themes=plan["themes"],
                    activities="Kartlegging, utprøving, evaluering og spredning.",
                    expected_benefit="Bedre pasientforløp og mer effektiv bruk av personell.",
                    grant_use="Lønn til prosjektleder og frikjøp av fagfolk.",
                    created_by=people["authors"][hf.pk],
                    submitted_at=submitted,
                )
            )
        Application.objects.bulk_create(applications, batch_size=2000)
        for plan, application in zip(plans, applications):
            plan["application"] = application

        participants = []
        for plan in plans:
            application = plan["application"]
            for i, municipality in enumerate(plan["owners"]):
                participants.append(
                    Participant(
                        application=application,
                        municipality=municipality,
                        is_owner=i == 0,
                        contact_name=f"Kontakt {municipality.name}",
                        contact_email=f"kontakt.{municipality.number}@bench.invalid",
                        publish_contact=i == 0,
                    )
                )
            if plan["with_trust"]:
                participants.append(
                    Participant(application=application, trust=plan["hf"].trust, is_owner=not plan["owners"], contact_name=f"Kontakt {plan['hf'].trust.name}")
                )
        Participant.objects.bulk_create(participants, batch_size=BATCH)
        first_participant = {}
        for participant in participants:
            first_participant.setdefault(participant.application_id, participant)
        log(f"  {len(participants)} participants")

        lines, benefits = [], []
        for plan in plans:
            application = plan["application"]
            for y, amount in sorted(plan["amounts"].items()):
                lines.append(BudgetLine(application=application, year=y, kind=BudgetLine.Kind.GRANT, amount=amount, description="Søkt RS-tilskudd"))
                lines.append(
                    BudgetLine(
                        application=application,
                        year=y,
                        kind=BudgetLine.Kind.OWN_TIME,
                        participant=first_participant.get(application.pk),
                        amount=amount // 2,
                        hours=amount // 2 // 800,
                        description="Egen arbeidstid",
                    )
                )
            for _ in range(rng.choice([1, 2, 2, 3])):
                benefits.append(
                    BenefitRow(
                        application=application,
                        benefit=rng.choice([b.value for b in BenefitRow.Benefit]),
                        description="Forventet nytte for pasienter og tjenester.",
                        beneficiaries=rng.sample(["patients", "municipal", "specialist", "others"], 2),
                        responsible="Prosjektleder",
                        measurement="Reinnleggelser og ventetid.",
                        frequency_and_data="Kvartalsvis, fra fagsystemene.",
                        prerequisites="Forankring i ledelsen.",
                        time_horizon="3 år",
                    )
                )
        BudgetLine.objects.bulk_create(lines, batch_size=BATCH)
        BenefitRow.objects.bulk_create(benefits, batch_size=BATCH)
        log(f"  {len(lines)} budget lines, {len(benefits)} benefit rows")

        conflicts, scores = [], []
        decided_at = timezone.now()
        for plan in plans:
            application, hf = plan["application"], plan["hf"]
            call = call_of[(hf.pk, plan["year"])]
            participant_municipalities = {m.pk for m in plan["owners"]}
            for seat in seats[committee[hf.pk].pk]:
                status = None
                if seat.user_id == people["member"].pk:
                    pass  # the measured member is never conflicted, so the ranking page computes the proposal
                elif seat.municipality_id in participant_municipalities or (seat.trust_id and plan["with_trust"] and rng.random() < 0.10):
                    source = Conflict.Source.ORGANISATION
                    status = rng.choices([Conflict.Status.CONFIRMED, Conflict.Status.PENDING, Conflict.Status.DISMISSED], weights=[70, 15, 15])[0]
                elif rng.random() < 0.02:
                    source = Conflict.Source.SELF
                    status = Conflict.Status.CONFIRMED
                if status is not None:
                    conflicts.append(
                        Conflict(
                            application=application,
                            member=seat,
                            source=source,
                            reason="Representerer en deltaker i søknaden." if source == Conflict.Source.ORGANISATION else "Meldt av medlemmet selv.",
                            status=status,
                            raised_by=admin,
                            decided_by=admin if status != Conflict.Status.PENDING else None,
                            decided_at=decided_at if status != Conflict.Status.PENDING else None,
                        )
                    )
                    if status != Conflict.Status.DISMISSED:
                        continue  # a conflicted member does not score
                for criterion in criteria_of[call.pk]:
                    span = criterion.scale_max - criterion.scale_min
                    value = round(criterion.scale_min + plan["quality"] * span + rng.gauss(0, 0.8))
                    scores.append(
                        Score(
                            application=application,
                            criterion=criterion,
                            member=seat,
                            value=min(criterion.scale_max, max(criterion.scale_min, value)),
                        )
                    )
        Conflict.objects.bulk_create(conflicts, batch_size=BATCH)
        log(f"  {len(conflicts)} conflicts; inserting {len(scores)} scores")
        Score.objects.bulk_create(scores, batch_size=BATCH)

    # --- decisions, grants, commitments, reports ---
    log("decisions, grants, commitments, reports")
    with transaction.atomic():
        decided = [p for p in plans if p["decided"]]
        granting = [p for p in decided if p["granted"]]
        grants = []
        for plan in granting:
            hf = plan["hf"]
            grants.append(
                Grant(
                    pot=hf_pot[hf.pk],
                    title=plan["title"],
                    helsefellesskap=hf,
                    pre_project=Grant.PreProject.YES if plan["type"] == ApplicationType.PRE_PROJECT else Grant.PreProject.NO,
                    round_label=call_of[(hf.pk, plan["year"])].title,
                    reference="Vedtak (benchmark)",
                    description=plan["goal"],
                    themes=plan["themes"],
                    patient_groups=plan["patient_groups"],
                    initiated_by=rng.choice(["municipality", "trust", "joint"]),
                    published=True,
                )
            )
        Grant.objects.bulk_create(grants, batch_size=2000)
        for plan, grant in zip(granting, grants):
            plan["grant"] = grant
        Grant.municipalities.through.objects.bulk_create(
            [Grant.municipalities.through(grant_id=p["grant"].pk, municipality_id=m.pk) for p in granting for m in p["owners"]], batch_size=BATCH
        )
        Grant.trusts.through.objects.bulk_create(
            [Grant.trusts.through(grant_id=p["grant"].pk, healthtrust_id=p["hf"].trust_id) for p in granting if p["with_trust"]], batch_size=BATCH
        )
        now = timezone.now()
        decisions = []
        for plan in decided:
            hf = plan["hf"]
            if plan["granted"]:
                outcome = Decision.Outcome.PRE_PROJECT if plan["type"] == ApplicationType.PRE_PROJECT else (Decision.Outcome.PARTIAL if plan["partial"] else Decision.Outcome.FULL)
            else:
                outcome = Decision.Outcome.REJECTED
            decisions.append(
                Decision(
                    application=plan["application"],
                    body=committee[hf.pk],
                    outcome=outcome,
                    amounts={str(y): a for y, a in sorted(plan["granted"].items())},
                    part_description="Deler av prosjektet." if outcome == Decision.Outcome.PARTIAL else "",
                    reason="Høy skår på de prioriterte kriteriene." if plan["granted"] else "Lavere prioritet innenfor rammen.",
                    status=Decision.Status.ADOPTED,
                    proposed_by=admin,
                    concluded_at=now,
                    grant=plan.get("grant"),
                )
            )
        Decision.objects.bulk_create(decisions, batch_size=BATCH)
        commitments = []
        for plan in granting:
            pot = hf_pot[plan["hf"].pk]
            for y, amount in sorted(plan["granted"].items()):
                commitments.append(
                    Commitment(
                        pot_year_id=pot_year_id[(pot.pk, y)],
                        kind=Commitment.Kind.GRANT,
                        amount=amount,
                        status=Commitment.Status.CONDITIONAL if y >= plan["year"] + 2 else Commitment.Status.FIRM,
                        grant=plan["grant"],
                        description=plan["title"][:300],
                    )
                )
        Commitment.objects.bulk_create(commitments, batch_size=BATCH)
        reports = []
        for plan in granting:
            if not plan["report"]:
                continue
            progress = rng.choices([p.value for p in Report.Progress], weights=[55, 25, 5, 3, 12])[0]
            reports.append(
                Report(
                    grant=plan["grant"],
                    progress=progress,
                    progress_text="Prosjektet har gjennomført kartlegging og startet utprøving.",
                    milestones=[{"name": "Oppstart", "done": True}, {"name": "Evaluering", "done": progress == "completed"}],
                    owner=plan["application"].project_owners or plan["hf"].name,
                    agreements=rng.choice([a.value for a in Report.Agreement]),
                    user_involvement="Brukerrepresentant i styringsgruppen.",
                    involvement_per_guideline=True,
                    delay_reasons=["recruitment"] if progress == "delayed" else [],
                    delay_text="Forsinket rekruttering." if progress == "delayed" else "",
                    effects="Færre reinnleggelser i pilotperioden.",
                    public_update=f"{plan['title']}: utprøvingen er i gang." if rng.random() < 0.6 else "",
                    submitted_by=people["authors"][plan["hf"].pk],
                )
            )
        Report.objects.bulk_create(reports, batch_size=BATCH)
        log(f"  {len(decisions)} decisions, {len(grants)} grants, {len(commitments)} commitments, {len(reports)} reports")

    check_invariants()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would give a real database

    bench_calls = [call_of[(bench_hf.pk, y)] for y in YEARS]
    sizes = {c.pk: 0 for c in bench_calls}
    for plan in plans:
        if plan["hf"].pk == bench_hf.pk:
            sizes[call_of[(bench_hf.pk, plan["year"])].pk] += 1
    ranking_call = max(bench_calls, key=lambda c: (sizes[c.pk], -c.pk))
    info = {
        "scale": scale,
        "years": [YEARS[0], YEARS[-1]],
        "seed": seed,
        "seconds": round(time.monotonic() - started, 1),
        "password": BENCH_PASSWORD,
        "users": USERNAMES,
        "bench_helsefellesskap": bench_hf.code,
        "ranking_call": ranking_call.pk,
        "ranking_call_applications": sizes[ranking_call.pk],
        "applicant_municipality": applicant_municipality.name,
        "applicant_applications": sum(1 for p in plans if applicant_municipality in p["owners"]),
        "counts": {
            "calls": len(calls),
            "applications": len(applications),
            "participants": len(participants),
            "budget_lines": len(lines),
            "benefit_rows": len(benefits),
            "scores": len(scores),
            "conflicts": len(conflicts),
            "decisions": len(decisions),
            "grants": len(grants),
            "commitments": len(commitments),
            "reports": len(reports),
        },
    }
    log(f"done in {info['seconds']} s")
    return info


def check_invariants() -> None:
    """frame >= active commitments + reserves, and frame = sum of the ledger, for every pot-year."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT py.id, py.frame,
                   COALESCE((SELECT SUM(c.amount) FROM funding_commitment c WHERE c.pot_year_id = py.id AND c.status IN ('firm', 'conditional')), 0),
                   COALESCE((SELECT SUM(r.amount) FROM funding_reserve r WHERE r.pot_year_id = py.id), 0),
                   COALESCE((SELECT SUM(e.amount) FROM funding_frameentry e WHERE e.pot_year_id = py.id), 0)
            FROM funding_potyear py
            """
        )
        bad = [row for row in cursor.fetchall() if row[1] < row[2] + row[3] or row[1] != row[4]]
    if bad:
        raise SystemExit(f"Money invariant broken for pot-years (id, frame, committed, reserved, ledger): {bad[:10]}")
    log("invariants hold: frame >= commitments + reserves and frame = ledger, for every pot-year")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = about 10 000 applications; 0.1 for a quick run")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--info", help="write the bench facts (users, ids, counts) to this JSON file")
    parser.add_argument(
        "--history", type=int, default=1, help="decades of history ending in 2033: 1 = 2024-2033, 3 = 2004-2033 (three times the applications)"
    )
    args = parser.parse_args()
    YEARS[:] = list(range(2034 - 10 * args.history, 2034))
    info = generate(args.scale, args.seed)
    text = json.dumps(info, indent=2, ensure_ascii=False)
    if args.info:
        Path(args.info).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
