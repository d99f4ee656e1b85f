"""A whole round of Helse Nord's regional scheme in the demo, at every stage, on 1 December 2026.

- Tilskudd for 2027 (deadline 1 October 2026): formally checked, prioritised by the four
  helsefellesskap, scored, conflicts decided, and decided by STU in its meeting of
  18 November 2026: granted in full, in part, as a pre-project, and rejected, with the
  votes of the eight voting members, decision letters and minutes.
- Ekstra tildelingsrunde 2027 (deadline 16 November 2026): in STU's assessment. Some
  members have scored, one conflict is decided and others wait for the chair; the meeting
  is set for 14 December.
- Tilskudd for 2028 (open until 1 October 2027): drafts written by Tromsø kommune and UNN
  together; submitted applications waiting for Troms og Ofoten's prioritisation, and one
  Helgeland has forwarded, waiting for the RHF secretariat's formal check.
- Follow-up of earlier grants (Fafo table 18): payments, one final report delivered,
  others overdue.

Everything is done by the demo personas through the domain functions, so every rule holds
and the audit trail reads as if people had done it. Past events run on the demo clock
(see clock.py): the functions take no time argument, so each runs at its own moment.
"""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from rsportal.applications import domain as applications
from rsportal.applications.forms import SECTIONS, BenefitRowForm, BudgetLineForm
from rsportal.applications.models import Application, Call
from rsportal.assessment import domain as assessment
from rsportal.assessment.models import Conflict, Decision, FormalCheck
from rsportal.followup import domain as followup
from rsportal.followup.forms import ReportForm
from rsportal.funding.models import Grant, PotYear
from rsportal.registry.models import Body, HealthTrust, Helsefellesskap, Municipality

from . import projects
from .clock import demo_clock, moment

DEMO_TODAY = datetime.date(2026, 12, 1)  # every event of the round lies before this day
D = datetime.date


def build(people: dict, money: dict, calls: dict) -> dict:
    regional = money["regional"]
    from .loader import regional_call

    round_2027 = regional_call(regional, "Regional søknadsbasert ordning – tilskudd for 2027", 2027, D(2026, 10, 1), Call.Status.PUBLISHED)
    extra = regional_call(regional, "Regional søknadsbasert ordning – ekstra tildelingsrunde 2027", 2027, D(2026, 11, 16), Call.Status.PUBLISHED)
    round_2027.frame_amount = 30_000_000
    round_2027.save(update_fields=["frame_amount"])
    built = Round(people)
    built.decided_round(round_2027)
    # The calls' frames are set when they are configured; the grants above used part of 2028.
    yearly = calls["yearly"]
    yearly.frame_amount = PotYear.objects.get(pot=regional, year=2028).available()
    yearly.save(update_fields=["frame_amount"])
    extra.frame_amount = 10_000_000
    extra.save(update_fields=["frame_amount"])
    built.round_in_assessment(extra)
    built.open_round(yearly)
    built.follow_up(money["grants"])
    from .classified import classify

    classify(people, [*money["grants"], money["vefsn"]], list(Grant.objects.filter(decision__application__call=round_2027)), D(2026, 11, 25))
    return {"calls": [round_2027, extra], "applications": Application.objects.count()}


class Round:
    def __init__(self, people: dict):
        self.people = people
        nord = Helsefellesskap.objects.filter(rhf__code="HN")
        self.communities = {hf.code: hf for hf in nord}
        self.municipalities = {m.name: m for m in Municipality.objects.filter(memberships__helsefellesskap__in=nord).distinct()}
        self.trusts = {t.code: t for t in HealthTrust.objects.filter(rhf__code="HN")}
        self.stu = Body.objects.get(kind=Body.Kind.ALLOCATION, rhf__code="HN")

    # --- applicants -----------------------------------------------------------

    def write(self, call: Call, project: projects.Project, *, started: datetime.date, submitted: datetime.date | None) -> Application:
        """Start, fill in and (if `submitted`) submit one application, as its authors would."""
        author = self.people[project.starter]
        coauthor = self.people[project.coauthor] if project.coauthor else author
        with demo_clock(moment(started, 10)):
            application = applications.start_application(
                author, call=call, title=project.title, type=project.type, helsefellesskap=self.communities[project.helsefellesskap]
            )
            for name in project.municipalities:
                applications.add_participant(author, application, municipality=self.municipalities[name], **self._contact(name))
            for code in project.trusts:
                applications.add_participant(author, application, trust=self.trusts[code], **self._contact(code))
            self._section(author, application, "prosjektet", self._basics(project, started))
        if not project.activities:  # a draft just begun: a title and the partners, nothing more yet
            return application
        # The co-author from the partner organisation writes the description and the plan a few days later.
        with demo_clock(moment(started + datetime.timedelta(days=3), 13)):
            self._section(coauthor, application, "beskrivelse", self._description(project))
            self._section(coauthor, application, "plan", self._plan(project))
        with demo_clock(moment(started + datetime.timedelta(days=6), 9)):
            self._section(author, application, "nytte", self._benefit(project))
            self._section(author, application, "finansiering", self._financing(project))
            self._section(author, application, "pasienter-digitalt", self._digital(project))
            if submitted is None and project.coauthor:
                return application  # still being written: no budget yet
            self._budget(author, application, project)
        if submitted is None:
            return application
        with demo_clock(moment(submitted, 14)):
            applications.submit(author, application)
        application.refresh_from_db()
        return application

    def _contact(self, organisation: str) -> dict:
        """A fictional contact person for a partner organisation (a municipality name or a trust code)."""
        slug = organisation.lower().replace("ø", "o").replace("å", "a").replace("æ", "ae").replace(" ", "-")
        name = CONTACTS[sum(map(ord, organisation)) % len(CONTACTS)]
        return {"contact_name": name, "contact_email": f"{name.split()[0].lower()}@{slug}.demo.invalid"}

    def _section(self, author, application, name: str, data: dict) -> None:
        form = SECTIONS[name]({f"{name}-{k}": v for k, v in data.items()}, instance=application, prefix=name)
        if not form.is_valid():
            raise ValueError(f"Demo application {application.title!r}, section {name}: {form.errors.as_text()}")
        applications.save_section(author, application, name, form, applications.section_version(application, name).version)

    def _basics(self, project, started):
        years = sorted(project.grant_by_year) or [started.year + 2]
        owners = ", ".join([str(self._owner_name(project)), *project.municipalities, *(self.trusts[c].name for c in project.trusts)])
        return {
            "title": project.title,
            "type": project.type,
            "project_owners": owners,
            "start_date": D(years[0], 1, 1).isoformat(),
            "end_date": D(years[-1], 12, 31).isoformat(),
            "agreement_date": (started - datetime.timedelta(days=20)).isoformat(),
        }

    def _owner_name(self, project):
        person = self.people[project.starter]
        role = person.organisation_roles.first()
        return role.municipality or role.trust

    def _description(self, project):
        return {
            "goal": project.goal,
            "target_group": project.target_group,
            "patient_groups": project.patient_groups,
            "themes": project.themes,
            "status_description": "Partene har samarbeidet i fagnettverk i helsefellesskapet, men uten felles ressurser eller avtale om ansvar.",
            "activities": project.activities,
            "organisations_and_staff": "Hjemmetjenesten, legetjenesten og sykehjemmene i kommunene; berørte klinikker i helseforetaket.",
            "done_before": "Partene har sett på lignende tiltak i andre helsefellesskap og bygger på erfaringene derfra.",
        }

    def _plan(self, project):
        return {
            "project_plan": "Oppstart med felles prosjektgruppe, kartlegging de første tre månedene, utprøving, evaluering ved hvert årsskifte.",
            "involvement_users": "Brukerrepresentant fra Regionalt brukerutvalg og kommunenes eldreråd/ungdomsråd sitter i prosjektgruppen.",
            "involvement_unions": "Tillitsvalgte i kommunene og i helseforetaket har deltatt i planleggingen og sitter i styringsgruppen.",
            "involvement_safety": "Verneombud på begge nivåer er informert og tas med i risikovurderingen før oppstart.",
        }

    def _benefit(self, project):
        return {
            "expected_benefit": "Færre akutte innleggelser og reinnleggelser, kortere ventetid og tryggere overganger mellom nivåene.",
            "supports_purpose": "Tiltaket bygger forpliktende samarbeid mellom kommune og sykehus om pasientforløpet, og erfaringene deles i regionen.",
        }

    def _financing(self, project):
        return {
            "grant_use": "Lønn til prosjektleder og fagpersoner i teamet, reiser og opplæring.",
            "financing_at_start": "RS-tilskudd og partenes egeninnsats i arbeidstid og kompetanse.",
            "financing_after": "Partene fordeler kostnadene etter nytte, avtalt i samarbeidsavtalen.",
            "ordinary_operation_plan": "Tiltaket innarbeides i partenes budsjetter fra året etter prosjektslutt hvis evalueringen viser effekt.",
            "research_share": "0",
        }

    def _digital(self, project):
        data = {"patient_responsibility": "Kommunen har ansvaret for pasientene hjemme; helseforetaket for spesialisthelsetjenesten de mottar."}
        if project.is_digital:
            data.update(
                is_digital="on",
                digital_regional_path="Løsningen velges fra den regionale avtalen om digital hjemmeoppfølging.",
                digital_ehealth_strategy="I tråd med Nasjonal e-helsestrategi og målbildet for digital samhandling.",
                digital_normen="Risikovurdering etter Normen gjøres før oppstart; leverandøren har databehandleravtale.",
                digital_governance="Styres gjennom den regionale e-helsegruppen; prosjektveiviseren følges.",
            )
        return data

    def _budget(self, author, application, project) -> None:
        participants = list(application.participants.all())
        municipality = next(p for p in participants if p.municipality_id)
        trust = next(p for p in participants if p.trust_id)
        first = min(project.grant_by_year)
        lines = [{"year": y, "kind": "grant", "amount": a, "description": "Søkt RS-tilskudd"} for y, a in project.grant_by_year.items()]
        lines += [
            {"year": first, "kind": "own_time", "participant": municipality.pk, "amount": 300_000, "hours": 600, "description": "Arbeidstid i kommunen"},
            {"year": first, "kind": "own_competence", "participant": trust.pk, "amount": 250_000, "description": "Spesialister i helseforetaket"},
        ]
        for line in lines:
            form = BudgetLineForm(application, line)
            if not form.is_valid():
                raise ValueError(f"Demo budget line for {application.title!r}: {form.errors.as_text()}")
            applications.add_budget_line(author, application, form)
        benefit = BenefitRowForm(
            {
                "benefit": "health",
                "description": "Færre akutte innleggelser og tryggere pasienter.",
                "beneficiaries": ["patients", "municipal", "specialist"],
                "responsible": "Prosjektleder",
                "measurement": "Innleggelser og reinnleggelser per 1000 innbyggere i målgruppen.",
                "frequency_and_data": "Hvert halvår, fra sykehusets og kommunenes journalsystemer.",
                "prerequisites": "At stillingene blir besatt; ellers forlenges prosjektet.",
                "time_horizon": "Prosjektperioden og to år etter",
            }
        )
        if not benefit.is_valid():
            raise ValueError(benefit.errors.as_text())
        applications.add_benefit(author, application, benefit)
        applications.upload_attachment(author, application, kind="agreement", uploaded=SimpleUploadedFile("signert-avtale.pdf", agreement_pdf(application)))
        applications.upload_attachment(author, application, kind="budget", uploaded=SimpleUploadedFile("budsjett.xlsx", budget_xlsx(application)))

    # --- the secretariats and the committee ------------------------------------

    def check_and_forward(self, call: Call, written: list[Application], *, day: datetime.date) -> None:
        """The RHF secretariat's formal check, then each helsefellesskap ranks its own."""
        secretariat = self.people["secretariat"]
        with demo_clock(moment(day, 10)):
            for application in written:
                digital = application.is_digital or None
                assessment.record_formal_check(
                    secretariat, application, outcome=FormalCheck.Outcome.ELIGIBLE, efficient_use=True, not_ordinary_operation=True, digital_compliant=digital, note=""
                )
        local = {"troms-ofoten": "local_secretariat", "finnmark": "secretariat_finnmark", "lvs": "secretariat_lvs", "helgeland": "secretariat_helgeland"}
        with demo_clock(moment(day + datetime.timedelta(days=2), 12)):
            for code, persona in local.items():
                own = [a for a in written if a.helsefellesskap.code == code]
                if own:
                    assessment.forward(self.people[persona], call, self.communities[code], ranked=own, joint=[])

    def seats(self):
        return {seat.user_id: seat for seat in self.stu.members.select_related("user") if seat.user_id and seat.voting}

    def score(self, application: Application, quality: int, members: list) -> None:
        criteria = list(application.call.criteria.order_by("order", "pk"))
        for index, user in enumerate(members):
            values = {}
            for position, criterion in enumerate(criteria):
                # Members differ a little (by seat and criterion), around the project's quality.
                value = quality + ((index + position) % 3) - 1
                values[criterion.pk] = (max(criterion.scale_min, min(criterion.scale_max, value)), "")
            assessment.save_scores(user, application, values)

    def scorers(self, application: Application) -> list:
        """The voting members not conflicted on the application, as users."""
        blocked = assessment.conflicted_members(application)
        return [seat.user for seat in self.seats().values() if seat.pk not in blocked]

    def decided_round(self, call: Call) -> None:
        written = {p.key: self.write(call, p, started=D(2026, 8, 24), submitted=D(2026, 9, 25)) for p in projects.ROUND_2027}
        self.check_and_forward(call, list(written.values()), day=D(2026, 10, 5))
        chair, secretariat = self.people["chair"], self.people["secretariat"]
        with demo_clock(moment(D(2026, 10, 9), 9)):
            assessment.detect_conflicts(secretariat, call)
        with demo_clock(moment(D(2026, 10, 12), 11)):
            for conflict in Conflict.objects.filter(application__call=call).exclude(member__user=chair):
                assessment.decide_conflict(chair, conflict, conflicted=True)
        with demo_clock(moment(D(2026, 10, 26), 9)):
            for project in projects.ROUND_2027:
                self.score(written[project.key], project.quality, self.scorers(written[project.key]))
        with demo_clock(moment(D(2026, 10, 28), 14)):
            meeting = assessment.schedule_meeting(
                secretariat, call, starts_at=moment(D(2026, 11, 18), 9), location="Helse Nord RHF, Bodø, og Teams", pitch_minutes=15, changeover_minutes=5
            )
        with demo_clock(moment(D(2026, 11, 18), 8, 55)):
            # The Helgeland member sent apologies (forfall), so the minutes show an absence too.
            present = [seat for seat in self.stu.members.all() if seat.user_id != self.people["member_helgeland"].pk]
            assessment.record_attendance(chair, meeting, present)
        for item in meeting.items.select_related("application").order_by("order"):
            key = next(k for k, a in written.items() if a.pk == item.application_id)
            self.hold_item(item, **DECISIONS_2027[key])
        call.status = Call.Status.CLOSED  # all applications decided: the secretariat closes the call
        call.save(update_fields=["status"])

    def hold_item(self, item, *, outcome, amounts, reason, part="", proposer="chair", against=0, abstain=0, deliberation="") -> Decision:
        chair = self.people["chair"]
        with demo_clock(item.planned_start):
            assessment.start_item(chair, item)
        with demo_clock(item.planned_start + datetime.timedelta(minutes=11)):
            decision = assessment.propose_decision(
                self.people[proposer], item.application, outcome=outcome, amounts=amounts, reason=reason, part_description=part, item=item
            )
            seats = self.seats()
            eligible = assessment.eligible_voters(decision)
            voters = sorted((seat for seat in seats.values() if seat.pk in eligible), key=lambda s: s.pk, reverse=True)
            choices = ["against"] * against + ["abstain"] * abstain
            for seat in voters:
                # Dissent comes from the members last appointed; the two RHF seats vote for.
                choice = choices.pop() if choices and seat.side != "rhf" else "for"
                assessment.cast_vote(seat.user, decision, choice)
            result = assessment.conclude(chair, decision)
            if not result.adopted:
                raise ValueError(f"Demo decision on {item.application.title!r} was not adopted: {result.explanation}")
        with demo_clock(item.planned_end):
            assessment.end_item(chair, item, deliberation)
        return decision

    def round_in_assessment(self, call: Call) -> None:
        written = {p.key: self.write(call, p, started=D(2026, 10, 12), submitted=D(2026, 11, 9)) for p in projects.ROUND_EXTRA}
        self.check_and_forward(call, list(written.values()), day=D(2026, 11, 17))
        chair, secretariat = self.people["chair"], self.people["secretariat"]
        with demo_clock(moment(D(2026, 11, 20), 9)):
            assessment.detect_conflicts(secretariat, call)
            # A member declares a conflict the automatic check cannot see.
            helgeland = self.stu.members.get(user=self.people["member_helgeland"])
            declared = assessment.declare_conflict(
                self.people["member_helgeland"], written["dental_pre"], helgeland, "Søsteren min er enhetsleder i hjemmetjenesten i Alta."
            )
        with demo_clock(moment(D(2026, 11, 23), 10)):
            # The chair has decided two: Tromsø's member leaves the room for Tromsø's application;
            # a sister in another municipality's home care is no conflict. The rest wait for the chair.
            assessment.decide_conflict(chair, Conflict.objects.get(application=written["discharge"], member__user=self.people["member"]), conflicted=True)
            assessment.decide_conflict(chair, declared, conflicted=False)
        with demo_clock(moment(D(2026, 11, 25), 15)):
            for project in ROUND_EXTRA_SCORED:
                application = written[project]
                done = [u for u in self.scorers(application) if u.username in SCORED_BY]
                self.score(application, next(p.quality for p in projects.ROUND_EXTRA if p.key == project), done)
            assessment.schedule_meeting(
                secretariat, call, starts_at=moment(D(2026, 12, 14), 9), location="Helse Nord RHF, Tromsø, og Teams", pitch_minutes=15, changeover_minutes=5
            )

    def open_round(self, call: Call) -> None:
        for project in projects.ROUND_2028_SUBMITTED:
            self.write(call, project, started=D(2026, 11, 2), submitted=D(2026, 11, 24))
        forwarded = [self.write(call, p, started=D(2026, 10, 19), submitted=D(2026, 11, 16)) for p in projects.ROUND_2028_FORWARDED]
        with demo_clock(moment(D(2026, 11, 26), 12)):
            assessment.forward(self.people["secretariat_helgeland"], call, self.communities["helgeland"], ranked=forwarded, joint=[])
        for project in projects.ROUND_2028_DRAFTS:
            self.write(call, project, started=D(2026, 11, 23), submitted=None)

    # --- follow-up of the grants of table 18 ---------------------------------

    def follow_up(self, table18: list[Grant]) -> None:
        secretariat = self.people["secretariat"]
        grant = {g.title: g for g in table18}
        payments = [
            ("Det trygge boalternativet", 2025, 1_700_000, D(2025, 6, 20)),
            ("Felles innsats for implementering av digital støtte i pasientforløp og samhandling", 2025, 2_500_000, D(2025, 6, 20)),
            ("Felles innsats for implementering av digital støtte i pasientforløp og samhandling", 2025, 2_500_000, D(2025, 12, 15)),
            ("Rehabsenter: Et tverrsektorielt kompetansenettverk", 2026, 1_500_000, D(2026, 6, 15)),
            ("Trygg eldremedisin", 2026, 300_000, D(2026, 6, 15)),
        ]
        for title, year, amount, paid_on in payments:
            with demo_clock(moment(paid_on, 11)):
                followup.record_payment(secretariat, grant[title], year=year, amount=amount, paid_on=paid_on, note="Utbetalt etter anmodning fra prosjekteier")
        # Tromsø delivers the final report of its pre-project in time; the other projects that
        # ended in 2025 have not reported yet, so their final reports (due 31 March 2026) are overdue.
        form = ReportForm(
            {
                "progress": "completed",
                "progress_text": "Forprosjektet er gjennomført. Vi har kartlagt behovet for trygge boliger for eldre med sammensatte behov i Tromsø "
                "og beskrevet en modell med felles oppfølging fra hjemmetjenesten og UNN.",
                "owner": "Tromsø kommune er prosjekteier; UNN er partner.",
                "agreements": "formal",
                "user_involvement": "Eldrerådet og en brukerrepresentant fra UNN har deltatt i arbeidsgruppen.",
                "involvement_per_guideline": "yes",
                "effects": "Modellen er klar for et hovedprosjekt; partene søker i 2028-utlysningen.",
                "lessons": "Forankring i ledelsen på begge sider tok lengre tid enn planlagt.",
                "spreading": "Presentert på erfaringskonferansen i Tromsø i august 2026.",
                "public_update": "Forprosjektet er avsluttet; en modell for trygge boliger for eldre er beskrevet.",
            }
        )
        if not form.is_valid():
            raise ValueError(form.errors.as_text())
        with demo_clock(moment(D(2026, 3, 20), 13)):
            followup.submit_report(
                self.people["applicant"],
                grant["Det trygge boalternativet"],
                form=form,
                spending={2025: (1_640_000, None)},
                contributions=[
                    {"party": "Tromsø kommune", "side": "municipality", "hours": 900, "amount": 540_000},
                    {"party": "Universitetssykehuset Nord-Norge HF", "side": "trust", "hours": 300, "amount": 240_000},
                ],
            )


# Who proposes and how the eight voting members (less those who left the room) vote. The multi-year
# grants are invented for the demo; their reasons say that the later years are conditional on
# progress, which is what conclude() books them as (the sources call no table-18 year conditional).
DECISIONS_2027 = {
    "palliation": dict(
        outcome=Decision.Outcome.FULL,
        amounts={2027: 2_400_000, 2028: 2_400_000, 2029: 1_800_000},
        reason="Høy skår på prioriterte pasientgrupper og integrering; tydelig plan for overgang til drift. "
        "Tilskuddet for 2028 og 2029 er betinget av tilfredsstillende framdrift.",
        deliberation="Utvalget la vekt på at teamet når de minste kommunene i Midt-Troms, og at kommunene tar over finansieringen gradvis.",
    ),
    "youth": dict(
        outcome=Decision.Outcome.FULL,
        amounts={2027: 2_000_000, 2028: 2_000_000, 2029: 2_000_000},
        reason="Barn og unge har ingen prosjekter i regionen ennå (referat 1/2026); søknaden skårer høyt og har en plan for drift. "
        "Tilskuddet for 2028 og 2029 er betinget av tilfredsstillende framdrift.",
        deliberation="Medlemmet fra Tromsø kommune og medlemmet fra UNN forlot rommet. Utvalget var enig om at søknaden dekker en pasientgruppe uten tiltak.",
    ),
    "nurses": dict(
        outcome=Decision.Outcome.PARTIAL,
        amounts={2027: 2_000_000, 2028: 2_000_000},
        part="Kombinerte stillinger, hospitering og mentorordningen. Boligtiltaket får ikke tilskudd.",
        reason="Rekrutteringsdelen er i tråd med formålet; boliger til ansatte er ordinær drift for kommunene. "
        "Tilskuddet for 2028 er betinget av tilfredsstillende framdrift.",
        proposer="observer",
        against=1,
        deliberation="Brukerrepresentanten foreslo å innvilge rekrutteringsdelen og holde boligtiltaket utenfor. Ett medlem ville innvilge hele søknaden.",
    ),
    "emergency_pre": dict(
        outcome=Decision.Outcome.PRE_PROJECT,
        amounts={2027: 1_800_000},
        reason="Godt begrunnet behov; forprosjektet skal avklare modell og kostnader før et hovedprosjekt. Innenfor grensen for to kommuner.",
        deliberation="Utvalget ba om at forprosjektet ser til akutteamet i Midt-Norge og til «Fremtidens pasientforløp» på Helgeland.",
    ),
    "kols": dict(
        outcome=Decision.Outcome.REJECTED,
        amounts={},
        reason="Lignende tiltak (Homecare+) har tilskudd i Salten fra før; søknaden viser ikke hvordan den bygger på det. Partene oppfordres til å søke sammen neste runde.",
        abstain=1,
        deliberation="Medlemmet fra Bodø kommune forlot rommet. Ett medlem avsto.",
    ),
}

# Fictional contact people of the partner organisations (none shares a name with a committee member).
CONTACTS = ["Ingrid Nilsen", "Ole Johansen", "Kari Olsen", "Nils Pedersen", "Marit Hansen", "Ragnhild Karlsen", "Jon Eriksen", "Solveig Berg", "Per Mikkelsen"]

# The extra round: who has scored so far. stu.medlem has not: that is their work today.
SCORED_BY = {"stu.leder", "sekretariat.nord", "stu.finnmark", "stu.helgeland"}
ROUND_EXTRA_SCORED = ["ofoten", "psychologists", "dental_pre"]


# --- attachments ---------------------------------------------------------------


def agreement_pdf(application: Application) -> bytes:
    """A one-page PDF standing in for the signed agreement on a joint application."""
    parties = [str(p.organisation) for p in application.participants.all()]
    lines = [
        "Avtale om felles søknad om rekrutterings- og samhandlingstilskudd",
        "",
        f"Prosjekt: {application.title}",
        f"Helsefellesskap: {application.helsefellesskap.name}",
        "",
        "Partene er enige om å søke sammen og om fordelingen av ansvar i prosjektet:",
        *(f"- {party}" for party in parties),
        "",
        "Signert av partene. (Demodata: fiktiv avtale.)",
    ]
    return simple_pdf(lines)


def simple_pdf(lines: list[str]) -> bytes:
    def literal(text: str) -> bytes:
        raw = text.encode("cp1252", "replace")
        return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

    text = b"BT /F1 11 Tf 56 780 Td 16 TL " + b" ".join(literal(line) + b" '" for line in lines) + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def budget_xlsx(application: Application) -> bytes:
    from rsportal.core import workbooks as wb

    columns = [
        wb.Column("År", wb.YEAR),
        wb.Column("Type"),
        wb.Column("Part"),
        wb.Column("Beløp (kr)", wb.AMOUNT, sum=True),
        wb.Column("Timer", wb.COUNT, sum=True),
        wb.Column("Beskrivelse"),
    ]
    lines = application.budget_lines.select_related("participant__municipality", "participant__trust").order_by("year", "pk")
    rows = [[line.year, line.get_kind_display(), str(line.participant.organisation) if line.participant else "", line.amount, line.hours, line.description] for line in lines]
    return wb.table_workbook(application.title, columns, rows, source="demodata, budsjettet i søknaden", sheet="Budsjett")
