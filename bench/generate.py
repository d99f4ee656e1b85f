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
  commitment per year for the granting ones;
- a submitted version of every application (two for those revised), drafts with co-authors in the
  next open call;
- report deadlines as booking a grant plans them, reports against the deadlines that have passed
  (with the money used), the questions after the project;
- a payment plan per RHF, payment requests per grant-year up to this year (advance, and the rest
  against the year's report), paid ones booked as payments, money passed on to partners;
- notifications of the bench secretariat and applicant.
The money out is checked at the end like the frames (see check_invariants).

Bulk inserts are used for the volume rows (applications and everything below them); the money's
skeleton, the payment plans and the two-factor devices go through the domain functions, with a
superuser as actor. Seeded and deterministic: the same seed and scale give the same rows (timestamps,
and what depends on today's date, aside).

Bench users (password BENCH_PASSWORD): bench.sekretariat (secretariat of the bench community),
bench.medlem (member of its deciding body, scores everything), bench.soker (applicant for Tromsø
kommune), bench.rhf (administrator of the bench community's RHF) and bench.admin (superuser, the
actor of the money). Each has an authenticator app (TOTP device); its key is in the bench facts
(--info), for the bench client's two-factor step.
"""

import argparse
import contextlib
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
from django_otp.oath import TOTP  # noqa: E402

from rsportal.accounts.models import OrganisationRole  # noqa: E402
from rsportal.applications import domain as application_domain  # noqa: E402
from rsportal.applications.domain import snapshot_from_rows  # noqa: E402
from rsportal.applications import variants  # noqa: E402
from rsportal.applications.criteria import HELSE_NORD_2026  # noqa: E402
from rsportal.applications.models import (  # noqa: E402
    Application,
    ApplicationType,
    ApplicationVersion,
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
from rsportal.core.models import Notice  # noqa: E402
from rsportal.followup import domain as followup_domain  # noqa: E402
from rsportal.followup.models import AfterProject, Payment, Report, ReportDue, Spending  # noqa: E402
from rsportal.funding import domain  # noqa: E402
from rsportal.funding.models import Appropriation, Commitment, Grant, Pot, PotYear  # noqa: E402
from rsportal.payments import domain as payments_domain  # noqa: E402
from rsportal.payments.models import CostLine, PartnerRecord, PaymentRequest  # noqa: E402
from rsportal.registry import importers, services  # noqa: E402
from rsportal.security import devices  # noqa: E402
from rsportal.registry.models import Body, BodyMember, Helsefellesskap, Membership, Municipality  # noqa: E402

BENCH_PASSWORD = "bench-passord-2024"
USERNAMES = {
    "admin": "bench.admin",
    "secretariat": "bench.sekretariat",
    "member": "bench.medlem",
    "applicant": "bench.soker",
    "rhf": "bench.rhf",
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


def enrol_two_factor(people: dict, seed: int) -> dict[str, str]:
    """Every bench user gets an authenticator app through the portal's own enrolment
    (security.devices.enrol_device: the first code checked by django-otp, audited, mailed), so the
    bench signs in with the password and then a code from the app, as production does. The keys
    (hex) go into the bench facts, for the client to compute its codes with."""
    rng = random.Random(seed + 1)  # its own stream: the rest of the seeded data stays as it was
    keys = {}
    for role in USERNAMES:
        key = rng.randbytes(20).hex()
        devices.enrol_device(people[role], key=key, token=f"{TOTP(bytes.fromhex(key)).token():06d}")
        keys[role] = key
    return keys


@contextlib.contextmanager
def dated(*fields):
    """Bulk inserts with the dates the rows would have had (a request sent in March, paid in April)
    instead of the moment of generation: `auto_now_add` switched off for the given fields."""
    saved = [(f, f.auto_now_add) for f in fields]
    for f, _old in saved:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, old in saved:
            f.auto_now_add = old


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
    # The payment overview is for the RHF's administrators and secretariat: bench.rhf administers
    # the bench community's RHF.
    OrganisationRole.objects.create(user=people["rhf"], kind=OrganisationRole.Kind.RHF_ADMIN, rhf=bench_hf.rhf, valid_from=datetime.date(2020, 1, 1))
    totp_keys = enrol_two_factor(people, seed)

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
                        "report": rng.random() < 0.5,  # no longer used (reports follow the deadlines); drawn so the seeded data stays as it was
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
        hf_pot, roots = {}, []
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
            roots.append(root)
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

    rng_more = random.Random(seed + 2)  # the data added later draws from its own stream, so the above stays as it was
    versions = submitted_versions(plans, participants, lines, benefits, people, rng_more)
    draft_count = drafts(rng_more, communities, members_of, muni_population, call_of, people, applicant_municipality, n_total)

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
        # The grant's owners are the application's owning participants only, as
        # assessment.domain books them (the others are partners, read from the application).
        Grant.municipalities.through.objects.bulk_create(
            [Grant.municipalities.through(grant_id=p["grant"].pk, municipality_id=p["owners"][0].pk) for p in granting if p["owners"]], batch_size=BATCH
        )
        Grant.trusts.through.objects.bulk_create(
            [Grant.trusts.through(grant_id=p["grant"].pk, healthtrust_id=p["hf"].trust_id) for p in granting if not p["owners"]], batch_size=BATCH
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
        log(f"  {len(decisions)} decisions, {len(grants)} grants, {len(commitments)} commitments")

    followup_counts = reports_due(rng_more, granting, people)
    payment_counts = payments(rng_more, granting, people, roots, applicant_municipality)
    notice_counts = notices(rng_more, plans, people, bench_hf, applicant_municipality)

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
    revised = (
        ApplicationVersion.objects.filter(number=2, application__participants__municipality=applicant_municipality).order_by("application_id").first()
        or ApplicationVersion.objects.filter(application__participants__municipality=applicant_municipality).order_by("application_id").first()
    )
    draft = Application.objects.filter(status=Application.Status.DRAFT, participants__municipality=applicant_municipality).order_by("pk").first()
    info = {
        "scale": scale,
        # Pages of single objects: an older version of a revised application of the applicant's, a
        # draft the applicant co-writes, the bench community's pot.
        "version_application": revised.application_id if revised else None,
        "draft_application": draft.pk if draft else None,
        "bench_pot": hf_pot[bench_hf.pk].pk,
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
            **followup_counts,
            **payment_counts,
            "versions": len(versions),
            "drafts": draft_count,
            **notice_counts,
        },
        "totp_keys": totp_keys,
        "rhf": bench_hf.rhf.code,
    }
    log(f"done in {info['seconds']} s")
    return info

def snapshot_of(application, participants, lines, benefits) -> dict:
    """applications.domain.snapshot (what submitting freezes) from the rows in memory, through the
    domain's own snapshot_from_rows: the domain function reads them back with five queries per
    application. `check_snapshots` still compares the two on a sample."""
    return snapshot_from_rows(application, variants.FULL, participants=participants, budget_lines=lines, benefits=benefits, attachments=[])


def _canonical(value):
    # As applications.domain.fingerprint compares snapshots: lists in a stable order.
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True, default=str))
    return value


def check_snapshots(versions: list, sample: int = 5) -> None:
    for version in versions[:: max(1, len(versions) // sample)][:sample]:
        application = Application.objects.get(pk=version.application_id)
        if variants.for_application(application) != variants.FULL:
            raise SystemExit("generate.py assumes the full form; the bench calls now offer the light one")
        ours = json.dumps(_canonical(version.data), sort_keys=True, default=str)
        theirs = json.dumps(_canonical(application_domain.snapshot(application)), sort_keys=True, default=str)
        if ours != theirs:
            raise SystemExit(f"generate.py's snapshot differs from applications.domain.snapshot for application {application.pk}")


def submitted_versions(plans, participants, lines, benefits, people, rng) -> list:
    """Version 1 of every submitted application (what the committee read), and a second version for
    the ~15 % that were opened for revision and sent in again: applications.domain.submit freezes one
    at every submission."""
    log("submitted versions")
    by_application = defaultdict(lambda: ([], [], []))
    for rows, index in ((participants, 0), (lines, 1), (benefits, 2)):
        for row in rows:
            by_application[row.application_id][index].append(row)
    versions, latest = [], []
    for plan in plans:
        application = plan["application"]
        data = snapshot_of(application, *by_application[application.pk])
        author = people["authors"][plan["hf"].pk]
        if rng.random() < 0.15:
            first = {**data, "goal": data["goal"] + " (Første versjon, før revisjonen.)"}
            versions.append(ApplicationVersion(application=application, number=1, submitted_at=application.submitted_at - datetime.timedelta(days=21), submitted_by=author, data=first))
            versions.append(ApplicationVersion(application=application, number=2, submitted_at=application.submitted_at, submitted_by=author, data=data))
        else:
            versions.append(ApplicationVersion(application=application, number=1, submitted_at=application.submitted_at, submitted_by=author, data=data))
        latest.append(versions[-1])
    with transaction.atomic():
        ApplicationVersion.objects.bulk_create(versions, batch_size=2000)
    check_snapshots(latest)
    log(f"  {len(versions)} versions")
    return versions


def drafts(rng, communities, members_of, muni_population, call_of, people, applicant_municipality, n_total) -> int:
    """Drafts in the next call that is still open: about 30 % of a year's applications, written by
    one to four participating organisations (their applicants are co-authors), part-filled."""
    today = timezone.localdate()
    open_years = [y for y in YEARS if datetime.date(y - 1, 10, 1) > today]
    if not open_years:
        return 0
    year = open_years[0]
    log(f"drafts in the {year} calls")
    applications, participants, lines = [], [], []
    per_year = n_total / len(YEARS) / len(communities)
    for hf in communities:
        municipalities = members_of[hf.pk]
        weights = [math.sqrt(muni_population.get(m.pk, 1000)) for m in municipalities]
        for i in range(max(1, int(round(per_year * 0.3 * rng.uniform(0.8, 1.2))))):
            owners = pick_weighted(rng, municipalities, weights, rng.choice([1, 2, 2, 3, 4])) if municipalities else []
            if applicant_municipality in municipalities and i < 4 and applicant_municipality not in owners:
                owners = [applicant_municipality, *owners][:4]  # the bench applicant co-writes a few
            measure, group = rng.choice(MEASURES), rng.choice(GROUPS)
            created = aware(today - datetime.timedelta(days=rng.randrange(1, 120)))
            application = Application(
                call=call_of[(hf.pk, year)],
                helsefellesskap=hf,
                type=ApplicationType.PROJECT,
                status=Application.Status.DRAFT,
                title=f"{measure} for {group} i {hf.name} (utkast)",
                project_owners=", ".join(m.name for m in owners),
                goal=f"{measure} for {group}." if rng.random() < 0.7 else "",
                start_date=datetime.date(year, 1, 1),
                end_date=datetime.date(year + 1, 12, 31),
                created_by=people["applicant"] if applicant_municipality in owners else people["authors"][hf.pk],
            )
            applications.append((application, owners, hf, created))
    with transaction.atomic(), dated(Application._meta.get_field("created_at")):
        for application, _owners, _hf, created in applications:
            application.created_at = created
        Application.objects.bulk_create([a for a, *_ in applications], batch_size=2000)
        for application, owners, hf, _created in applications:
            for i, municipality in enumerate(owners):
                participants.append(Participant(application=application, municipality=municipality, is_owner=i == 0, contact_name=f"Kontakt {municipality.name}", contact_email=f"kontakt.{municipality.number}@bench.invalid"))
            participants.append(Participant(application=application, trust=hf.trust, is_owner=not owners, contact_name=f"Kontakt {hf.trust.name}"))
            for y in (year, year + 1):
                if rng.random() < 0.6:
                    lines.append(BudgetLine(application=application, year=y, kind=BudgetLine.Kind.GRANT, amount=round_up(rng.uniform(150_000, 1_500_000), 10_000), description="Søkt RS-tilskudd"))
        Participant.objects.bulk_create(participants, batch_size=BATCH)
        BudgetLine.objects.bulk_create(lines, batch_size=BATCH)
    log(f"  {len(applications)} drafts, {len(participants)} participants")
    return len(applications)


def deadlines_of(years: list[int]) -> list[tuple[str, datetime.date, datetime.date, datetime.date]]:
    """followup.domain.planned_deadlines for a pot without reporting rules of its own or its
    parents' (the bench has none): the default yearly rule, a status report on 1 February after
    each year and the final report 90 days after the last. Checked against the domain on a sample."""
    first, last = datetime.date(years[0], 1, 1), datetime.date(years[-1], 12, 31)
    rows = [("periodic", datetime.date(y + 1, 2, 1), datetime.date(y, 1, 1), datetime.date(y, 12, 31)) for y in range(years[0], years[-1] + 1)]
    rows.append(("final", last + datetime.timedelta(days=90), first, last))
    return rows


def reports_due(rng, granting, people) -> dict:
    """What booking a grant plans (followup.domain.plan_reports: the report deadlines and the
    questions after the project), and the reports delivered against the deadlines that have
    passed: ~80 % of last year's on time, ~95 % of older ones; older ones not delivered in the
    portal are mostly marked received elsewhere, the rest stay overdue. Each report states the
    money used in its year (Spending)."""
    log("report deadlines, reports, spending, questions after the project")
    today = timezone.localdate()
    dues, afters = [], []
    for plan in granting:
        grant, years = plan["grant"], sorted(plan["granted"])
        for kind, due, start, end in deadlines_of(years):
            dues.append(ReportDue(grant=grant, kind=kind, due_date=due, period_start=start, period_end=end))
        due = datetime.date(years[-1] + 1, 12, 31)  # followup.domain.after_project_due
        answered = due < today and rng.random() < 0.7
        afters.append(
            AfterProject(
                grant=grant,
                due_date=due,
                in_operation=rng.choice([c.value for c in AfterProject.InOperation]) if answered else "",
                payer=rng.choice([c.value for c in AfterProject.Payer]) if answered else "",
                spread="Modellen er tatt i bruk i to nabokommuner." if answered else "",
                answered_at=aware(due - datetime.timedelta(days=rng.randrange(1, 60))) if answered else None,
                answered_by=people["authors"][plan["hf"].pk] if answered else None,
            )
        )
    with transaction.atomic():
        ReportDue.objects.bulk_create(dues, batch_size=BATCH)
        AfterProject.objects.bulk_create(afters, batch_size=BATCH)
    for plan in granting[:: max(1, len(granting) // 10)][:10]:
        planned = sorted(followup_domain.planned_deadlines(plan["grant"]))
        if planned != sorted(deadlines_of(sorted(plan["granted"]))):
            raise SystemExit(f"generate.py's report deadlines differ from followup.domain.planned_deadlines for grant {plan['grant'].pk}")

    plan_of = {plan["grant"].pk: plan for plan in granting}
    reports, delivered, overdue, upcoming = [], [], 0, 0
    for due in dues:
        if due.due_date > today:
            upcoming += 1
            continue
        plan = plan_of[due.grant_id]
        recent = (today - due.due_date).days < 365
        if rng.random() < (0.80 if recent else 0.95):
            final = due.kind == ReportDue.Kind.FINAL
            progress = Report.Progress.COMPLETED if final else rng.choices([p.value for p in Report.Progress], weights=[55, 25, 5, 3, 12])[0]
            reports.append(
                Report(
                    grant=due.grant,
                    due=due,
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
                    submitted_at=aware(due.due_date - datetime.timedelta(days=rng.randrange(0, 25))),
                )
            )
        elif not recent and rng.random() < 0.7:
            due.received_elsewhere = "Mottatt på e-post (benchmark)"
            delivered.append(due)
        else:
            overdue += 1
    with transaction.atomic(), dated(Report._meta.get_field("submitted_at")):
        Report.objects.bulk_create(reports, batch_size=BATCH)
        ReportDue.objects.bulk_update(delivered, ["received_elsewhere"], batch_size=BATCH)
        spending = []
        for report in reports:
            if report.due.kind == ReportDue.Kind.PERIODIC:
                year = report.due.period_start.year
                committed = plan_of[report.grant_id]["granted"].get(year, 0)
                if committed:
                    spending.append(Spending(report=report, year=year, amount=round_up(committed * rng.uniform(0.5, 1.0), 1000)))
        Spending.objects.bulk_create(spending, batch_size=BATCH)
    for plan in granting:
        plan["reports"] = {}
    for report in reports:
        if report.due.kind == ReportDue.Kind.PERIODIC:
            plan_of[report.grant_id]["reports"][report.due.period_start.year] = report
    log(f"  {len(dues)} deadlines ({upcoming} to come, {overdue} overdue), {len(reports)} reports, {len(spending)} spending rows")
    return {"report_deadlines": len(dues), "reports_upcoming": upcoming, "reports_overdue": overdue, "reports": len(reports), "spending": len(spending), "after_project": len(afters)}


ADVANCE_PERCENT = 50


def payments(rng, granting, people, roots, applicant_municipality) -> dict:
    """Money out, as payments.domain moves it: each RHF sets a payment plan (50 % of a year's
    commitment at the start, the rest against the year's report). Per grant-year up to this year: a
    request for the advance and, once the year's report is in, one for the rest; both paid for past
    years (approved, then marked paid: a followup Payment of the same amount, as mark_paid books
    it), this year's still partly waiting; a few sent back. Owners pass part of what they were paid
    on to a partner, who has invoiced it (PartnerRecord). Requests and payments respect the domain's
    limits (checked at the end): requested and paid <= the year's commitment, beyond the advance
    only with a report, passed on <= paid."""
    from django.utils.translation import gettext as _

    log("payment plans, payment requests, payments, money between partners")
    admin = people["admin"]
    for root in roots:
        payments_domain.set_payment_plan(admin, root, advance_percent=ADVANCE_PERCENT)
    today = timezone.localdate()
    requests, costs, records = [], [], []  # costs: (request index, organisation, amount)
    paid_on = {}  # request index -> date

    def when(day: datetime.date) -> datetime.datetime:
        return aware(min(day, today), hour=rng.randrange(8, 16))

    for plan in granting:
        grant, hf = plan["grant"], plan["hf"]
        recipient = plan["owners"][0] if plan["owners"] else hf.trust
        partners = plan["owners"][1:] + ([hf.trust] if plan["with_trust"] and plan["owners"] else [])
        requester = people["applicant"] if recipient == applicant_municipality else people["authors"][hf.pk]
        for year, committed in sorted(plan["granted"].items()):
            if year > today.year:
                break
            advance = committed * ADVANCE_PERCENT // 100
            report = plan["reports"].get(year)
            asks = [(advance, None, datetime.date(year, 1, 1), datetime.date(year, 6, 30), datetime.date(year, 1, 10) + datetime.timedelta(days=rng.randrange(60)))]
            if report is not None and committed > advance:
                asks.append((committed - advance, report, datetime.date(year, 7, 1), datetime.date(year, 12, 31), report.submitted_at.date() + datetime.timedelta(days=rng.randrange(1, 20))))
            year_paid = 0
            for amount, with_report, start, end, sent in asks:
                if sent > today:
                    continue
                if rng.random() < 0.04:  # sent back first (wrong period, missing documentation), then sent again
                    requests.append(
                        PaymentRequest(
                            grant=grant, year=year, period_start=start, period_end=end, amount=amount, report=with_report,
                            recipient_municipality=recipient if recipient != hf.trust else None, recipient_trust=hf.trust if recipient == hf.trust else None,
                            status=PaymentRequest.Status.RETURNED, requested_by=requester, registered_by=requester,
                            submitted_at=when(sent - datetime.timedelta(days=20)), decided_by=admin, decided_at=when(sent - datetime.timedelta(days=12)),
                            return_reason="Dokumentasjonen mangler for perioden.", version=1,
                        )
                    )
                    costs.append((len(requests) - 1, recipient, amount))
                decided = sent + datetime.timedelta(days=rng.randrange(3, 21))
                paid = decided + datetime.timedelta(days=rng.randrange(3, 15))
                if paid <= today and (year < today.year or rng.random() < 0.75):
                    status = PaymentRequest.Status.PAID
                elif decided <= today and rng.random() < 0.5:
                    status = PaymentRequest.Status.APPROVED
                else:
                    status = PaymentRequest.Status.SUBMITTED
                requests.append(
                    PaymentRequest(
                        grant=grant, year=year, period_start=start, period_end=end, amount=amount, report=with_report,
                        own_contribution=round_up(amount * rng.uniform(0.2, 0.6), 1000),
                        recipient_municipality=recipient if recipient != hf.trust else None, recipient_trust=hf.trust if recipient == hf.trust else None,
                        status=status, requested_by=requester, registered_by=requester, submitted_at=when(sent),
                        decided_by=admin if status != PaymentRequest.Status.SUBMITTED else None,
                        decided_at=when(decided) if status != PaymentRequest.Status.SUBMITTED else None,
                        version={PaymentRequest.Status.SUBMITTED: 0, PaymentRequest.Status.APPROVED: 1, PaymentRequest.Status.PAID: 2}[status],
                    )
                )
                index = len(requests) - 1
                if partners and rng.random() < 0.5:
                    share = round_up(amount * 0.3, 1000) if amount > 2000 else 0
                    share = min(share, amount - 1000) if share else 0
                    costs.append((index, recipient, amount - share))
                    if share:
                        costs.append((index, partners[0], share))
                else:
                    costs.append((index, recipient, amount))
                if status == PaymentRequest.Status.PAID:
                    paid_on[index] = paid
                    year_paid += amount
            if partners and year_paid and rng.random() < 0.6:
                passed = round_up(year_paid * 0.3, 1000) if year_paid >= 10_000 else 0
                passed = min(passed, year_paid)
                last_paid = max(paid_on[i] for i in paid_on if requests[i].grant is grant and requests[i].year == year)
                partner = partners[0]
                fields = {"municipality": partner, "trust": None} if partner != hf.trust else {"municipality": None, "trust": partner}
                if passed and last_paid + datetime.timedelta(days=10) <= today:
                    records.append(PartnerRecord(grant=grant, kind=PartnerRecord.Kind.INVOICE, year=year, amount=passed, on=last_paid - datetime.timedelta(days=20), reference=f"F-{year}-{grant.pk}", recorded_by=requester, **fields))
                    records.append(PartnerRecord(grant=grant, kind=PartnerRecord.Kind.TRANSFER, year=year, amount=passed, on=last_paid + datetime.timedelta(days=10), reference=f"B-{year}-{grant.pk}", recorded_by=requester, **fields))
    with transaction.atomic(), dated(PaymentRequest._meta.get_field("submitted_at"), PartnerRecord._meta.get_field("recorded_at")):
        PaymentRequest.objects.bulk_create(requests, batch_size=BATCH)
        CostLine.objects.bulk_create(
            [
                CostLine(request=requests[i], amount=amount, **({"municipality": org, "trust": None} if isinstance(org, Municipality) else {"municipality": None, "trust": org}))
                for i, org, amount in costs
            ],
            batch_size=BATCH,
        )
        paid_rows = [
            Payment(grant=requests[i].grant, year=requests[i].year, amount=requests[i].amount, paid_on=day, note=_("Utbetalingsanmodning %(ref)s") % {"ref": requests[i].pk}, recorded_by=admin)
            for i, day in sorted(paid_on.items())
        ]
        Payment.objects.bulk_create(paid_rows, batch_size=BATCH)
        for (i, _day), payment in zip(sorted(paid_on.items()), paid_rows):
            requests[i].payment = payment
        PaymentRequest.objects.bulk_update([requests[i] for i in paid_on], ["payment"], batch_size=BATCH)
        for record in records:
            record.recorded_at = aware(record.on)
        PartnerRecord.objects.bulk_create(records, batch_size=BATCH)
    by_status = defaultdict(int)
    for request in requests:
        by_status[str(request.status)] += 1
    log(f"  {len(requests)} payment requests {dict(by_status)}, {len(costs)} cost lines, {len(paid_rows)} payments, {len(records)} partner records")
    return {"payment_requests": len(requests), "payment_requests_by_status": dict(by_status), "cost_lines": len(costs), "payments": len(paid_rows), "partner_records": len(records)}


def notices(rng, plans, people, bench_hf, applicant_municipality) -> dict:
    """The portal's notifications ("Varsler") the bench users would have had: the bench secretariat
    one per application received by its community (applications.domain.submit notifies it), the
    applicant a receipt per application Tromsø takes part in. All but the newest 20 read."""
    rows = []
    for plan in plans:
        application = plan["application"]
        subject = f"Søknad mottatt: {application.title}"[:200]
        body = f"Søknaden «{application.title}» er sendt inn til {plan['hf'].name} (versjon 1)."
        link = f"/soknader/{application.pk}/vis/"
        if plan["hf"].pk == bench_hf.pk:
            rows.append(Notice(user=people["secretariat"], category="required", subject=subject, body=body, link=link, created_at=application.submitted_at))
        if applicant_municipality in plan["owners"]:
            rows.append(Notice(user=people["applicant"], category="required", subject=subject, body=body, link=link, created_at=application.submitted_at))
    rows.sort(key=lambda n: n.created_at)
    newest = defaultdict(int)
    for notice in reversed(rows):
        newest[notice.user_id] += 1
        notice.read_at = None if newest[notice.user_id] <= 20 else notice.created_at + datetime.timedelta(days=rng.randrange(1, 10))
    with transaction.atomic(), dated(Notice._meta.get_field("created_at")):
        Notice.objects.bulk_create(rows, batch_size=BATCH)
    log(f"  {len(rows)} notices")
    return {"notices_secretariat": newest[people["secretariat"].pk], "notices_applicant": newest[people["applicant"].pk]}


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
    # Money out, per grant and year, as payments.domain and followup.domain enforce it.
    checks = {
        "requested (submitted, approved, paid) > the year's active commitment": """
            SELECT r.grant_id, r.year FROM payments_paymentrequest r WHERE r.status IN ('submitted', 'approved', 'paid')
            GROUP BY r.grant_id, r.year
            HAVING SUM(r.amount) > COALESCE((SELECT SUM(c.amount) FROM funding_commitment c JOIN funding_potyear py ON py.id = c.pot_year_id
                                             WHERE c.grant_id = r.grant_id AND py.year = r.year AND c.status IN ('firm', 'conditional')), 0)""",
        "paid > the year's active commitment": """
            SELECT p.grant_id, p.year FROM followup_payment p GROUP BY p.grant_id, p.year
            HAVING SUM(p.amount) > COALESCE((SELECT SUM(c.amount) FROM funding_commitment c JOIN funding_potyear py ON py.id = c.pot_year_id
                                             WHERE c.grant_id = p.grant_id AND py.year = p.year AND c.status IN ('firm', 'conditional')), 0)""",
        f"requested without a report > the plan's {ADVANCE_PERCENT} % advance": f"""
            SELECT r.grant_id, r.year FROM payments_paymentrequest r WHERE r.status IN ('submitted', 'approved', 'paid') AND r.report_id IS NULL
            GROUP BY r.grant_id, r.year
            HAVING SUM(r.amount) > COALESCE((SELECT SUM(c.amount) FROM funding_commitment c JOIN funding_potyear py ON py.id = c.pot_year_id
                                             WHERE c.grant_id = r.grant_id AND py.year = r.year AND c.status IN ('firm', 'conditional')), 0) * {ADVANCE_PERCENT} / 100""",
        "a paid request without its payment of the same grant, year and amount (or the other way round)": """
            SELECT r.id, r.status FROM payments_paymentrequest r LEFT JOIN followup_payment p ON p.id = r.payment_id
            WHERE (r.status = 'paid') <> (r.payment_id IS NOT NULL)
               OR (r.payment_id IS NOT NULL AND (p.grant_id <> r.grant_id OR p.year <> r.year OR p.amount <> r.amount))""",
        "a request whose cost lines do not add up to its amount": """
            SELECT r.id, r.amount FROM payments_paymentrequest r
            WHERE r.amount <> COALESCE((SELECT SUM(l.amount) FROM payments_costline l WHERE l.request_id = r.id), 0)""",
        "passed on to partners > paid": """
            SELECT t.grant_id, t.year FROM payments_partnerrecord t WHERE t.kind = 'transfer' GROUP BY t.grant_id, t.year
            HAVING SUM(t.amount) > COALESCE((SELECT SUM(p.amount) FROM followup_payment p WHERE p.grant_id = t.grant_id AND p.year = t.year), 0)""",
    }
    with connection.cursor() as cursor:
        for rule, sql in checks.items():
            cursor.execute(sql)
            rows = cursor.fetchall()
            if rows:
                raise SystemExit(f"Money invariant broken: {rule}: {rows[:10]}")
    log("invariants hold: frame >= commitments + reserves and frame = ledger for every pot-year; requested and paid <= commitment, "
        "beyond the advance only with a report, paid requests booked as payments, passed on <= paid, for every grant-year")


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
