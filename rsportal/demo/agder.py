"""Helsefellesskapet Agder beside Helse Nord: a second, different process in the same portal.

From the SSU case on the framework for the RS grant in Agder (shared seeds) and domain brief §6:
Agder runs an open call (Fafo model 1b) where the secretariat checks the applications, the
portfolio secretariat assesses them, the working committee (AU-SSU: the SSU's leaders with the
secretariat) recommends and the strategic committee (SSU), owner of the project portfolio,
decides, on Agder's own selection and prioritisation criteria. The helsefellesskap keeps its
common budget of 500 000 kr (for administration and common operations) out of the RS money.
Helse Nord's regional scheme instead has local prioritisation, the RHF secretariat and STU.

Everything is built by the people who would do it, through the domain functions, at its own
date on the demo clock: the system administrator gives the Helse Sør-Øst administrator role and
the secretariat's seat; Helse Sør-Øst books its money and transfers Agder's share; Agder's
secretariat fills the SSU's seats, reserves the common budget and runs last year's call.
What is left for the personas to do on 1 December 2026: Helse Sør-Øst transfers the 2027 money,
the secretariat invites the SSU leader who takes over on 1 January 2027 and sets up the 2027
call from last year's, and an applicant from Kristiansand applies once it is published.

Where the sources give no figure, the object's description or reference says so (the
Helse Sør-Øst amounts after 2024 and Agder's share after 2024 are the demo's assumptions)."""

import datetime

from django.contrib.auth.hashers import make_password

from rsportal.accounts import domain as accounts
from rsportal.accounts.models import OrganisationRole
from rsportal.applications import calls
from rsportal.applications.models import ApplicationType, Call, ProcessStep
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Pot, Reserve
from rsportal.registry import domain as registry
from rsportal.registry.models import Body, BodyMember, HealthTrust, Helsefellesskap, Municipality, RegionalHealthAuthority

from .clock import demo_clock, moment

D = datetime.date
M = 1_000_000
SSU_CASE = "SSU-sak om rammebetingelser for RS-tilskuddet, Helsefellesskapet Agder"
STRUCTURE = "Helsefellesskapet Agders struktur (sak 19-2024, 25. april 2024)"
# The demo serves here (make demo); the links in the invitations the loader sends are never used.
BASE_URL = "http://127.0.0.1:8000/"

# 286 MNOK in 2025 (domain brief §1) less Helse Nord's permanent 130 MNOK, by the 2024 basic-funding
# key (Sør-Øst 61.9 %): 96 564 000 kr. The sources give no Sør-Øst figure after 2024.
HSO_YEARLY = 96_564_000
HSO_ASSUMPTION = (
    "Forutsetning i demodataene: kildene oppgir ikke beløpet. 286 mill. kr i 2025 minus Helse Nords 130 mill. kr, "
    "fordelt etter basisfinansieringsnøkkelen fra 2024 (Sør-Øst 61,9 %)."
)
AGDER_YEARLY = 9 * M  # "ca. 9 mill. kr i 2024" (the SSU case); the same in later years is the demo's assumption
COMMON_BUDGET = 500_000

PURPOSE = (
    "Tilskuddet skal understøtte forpliktende samarbeid mellom kommunene i Agder og Sørlandet sykehus om "
    "tjenesteutvikling og gode pasientforløp, og legge til rette for et godt desentralisert helsetilbud med god "
    "kvalitet og riktig arbeidsdeling. Kommunene og sykehuset er likeverdige parter, og midlene brukes etter "
    "dokumentert enighet. Strategisk samarbeidsutvalg (SSU) er prosjekteier og beslutter prosjektporteføljen etter "
    "kriteriene for utvelgelse og prioritering."
)
PRIORITIES = """Tiltak som fremmer rekruttering og god bruk av personell på tvers av nivåene, for eksempel kombinerte stillinger
Tiltak som bidrar til bedre samhandling
Tiltak og områder som kan få ned ventetidene i sykehus
De fire pasientgruppene med sammensatte behov, svangerskaps-, fødsels- og barselomsorg, integrert psykisk helsetjeneste og rustjeneste, rehabilitering
Færre utskrivningsklare pasienter som blir liggende på sykehus
Lokale løsninger i opptaksområdet til de minste sykehusene
Områdene i SSUs strategi- og handlingsplan 2023–2026: Agdermodell for barn og unge innen psykisk helse, skrøpelige eldre (psykisk sykdom og rus), fall og hoftebrudd, akuttmedisinsk kjede"""
# The SSU's selection criteria are requirements every application must meet.
ELIGIBILITY = """Innenfor de prioriterte områdene i Helsefellesskapets strategi- og handlingsplan 2023–2026
Tydelig behov og godt beskrevet kunnskapsgrunnlag
Bidrar til tjenesteinnovasjon og økt bærekraft
Klart potensial for gevinstrealisering, beskrevet i søknaden
Avtale som dokumenterer enighet mellom sykehuset og kommunen(e), beskriver tiltaket og gir budsjett med ressursene hver part bidrar med
Avklart hvem som har ansvaret for pasientene i gjennomføringen, når det er relevant"""
# The prioritisation criteria, scored; the sources give no weights, so all weigh the same.
CRITERIA = [
    ("Fremtidens tjenestebehov", "Har størst potensial til å møte fremtidens tjenestebehov."),
    ("Konkrete samhandlingsutfordringer", "Løser spesifikke og konkrete samhandlingsutfordringer."),
    ("Ressursbehovet er dekket", "Kan gjennomføres ved at ressursbehovet dekkes gjennom egenfinansierte personellressurser eller ekstern finansiering."),
    (
        "Balanse i porteføljen",
        "Den samlede porteføljen tar hensyn til ressurser og gjennomføringskraft: balanse mellom prosjekter med høy verdi og liten innsats og prosjekter med høy verdi og stor innsats.",
    ),
    ("Tjenesteinnovasjon", "Utfordrer styringssystemer, lovverk og finansieringsordninger som understøtter samhandling, eller tar i bruk nye metoder eller ny teknologi."),
    ("Gevinstrealisering", "Klart potensial for gevinstrealisering, og en beskrevet plan for den."),
]
REPORTING = """SSU godkjenner mandat, framdriftsplan og plan for gevinstrealisering før oppstart
Prosjektene organiseres av de regionale samarbeidsutvalgene (RS) og sender løypemeldinger og rapporter til SSU
Arbeidsutvalget (AU-SSU) holder oversikt over prosjektporteføljen"""

CALL_2026 = "RS-midler 2026 – Helsefellesskapet Agder"

# (username, first name, last name)
PERSONAS = {
    "secretariat": ("sekretariat.agder", "Aud", "Agdestein"),
    "rhf_admin": ("rhf.sorost", "Sølvi", "Sørøstby"),
    "ssu_member": ("ssu.agder", "Arne", "Arendalsen"),
    "applicant": ("soker.kristiansand", "Kristin", "Kvadraturen"),
}


def load(admin) -> dict:
    """Agder's configuration. `admin` is a system administrator (the demo's `admin`)."""
    from .loader import DEMO_PASSWORD, _make_user

    hso = RegionalHealthAuthority.objects.get(code="HSO")
    agder = Helsefellesskap.objects.select_related("trust").get(code="agder")
    sshf = agder.trust
    municipality = {m.name: m for m in Municipality.objects.filter(memberships__helsefellesskap=agder)}
    body = {b.kind: b for b in Body.objects.filter(helsefellesskap=agder)}
    hashed = make_password(DEMO_PASSWORD)  # once for all, as load_people does
    people = {key: _make_user(username, first, last, password=hashed) for key, (username, first, last) in PERSONAS.items()}

    def invited(actor, user, **grant):
        invitation, _token = accounts.invite(actor, email=user.email, name=user.get_full_name(), base_url=BASE_URL, **grant)
        return accounts.accept(invitation, user)

    # January 2025: the system administrator gives Helse Sør-Øst its administrator and Agder its coordinator.
    with demo_clock(moment(D(2025, 1, 6), 9)):
        invited(admin, people["rhf_admin"], kind=OrganisationRole.Kind.RHF_ADMIN, rhf=hso)
        coordinator = registry.add_seat(
            admin, body[Body.Kind.SECRETARIAT], name=people["secretariat"].get_full_name(), side=BodyMember.Side.MUNICIPALITY,
            municipality=municipality["Kristiansand"], start=D(2025, 1, 1), basis=STRUCTURE + ": kommunal samhandlingskoordinator",
        )
        invited(admin, people["secretariat"], seat=coordinator)

    secretariat = people["secretariat"]
    with demo_clock(moment(D(2025, 1, 13), 10)):
        seats = _bodies(secretariat, body, municipality, sshf)
        invited(secretariat, people["ssu_member"], seat=seats["ssu_member"])
        for own_seat in seats["coordinator"]:  # the coordinator also sits in the portfolio secretariat and the AU
            invited(secretariat, secretariat, seat=own_seat)
        invited(secretariat, people["applicant"], kind=OrganisationRole.Kind.APPLICANT, municipality=municipality["Kristiansand"])

    pots = _money(people["rhf_admin"], secretariat, hso, agder)
    last_year = _call_2026(secretariat, pots["agder"], body)
    return {"people": people, "pots": pots, "call": last_year, "seats": seats}


def _bodies(secretariat, body: dict, municipality: dict, sshf: HealthTrust) -> dict:
    """The seats of the SSU, the secretariat, the portfolio secretariat and the working committee.
    The SSU's leader and deputy alternate every two years between the municipalities and the
    hospital trust: a municipal leader in 2025-2026, the hospital's from 2027 (not yet invited)."""
    muni, trust, user_rep = BodyMember.Side.MUNICIPALITY, BodyMember.Side.TRUST, BodyMember.Side.USER_REP
    leader, deputy, observer = BodyMember.Role.LEADER, BodyMember.Role.DEPUTY, BodyMember.Role.OBSERVER
    start, first_end, second = D(2025, 1, 1), D(2026, 12, 31), D(2027, 1, 1)

    def seat(kind, name, side, role=BodyMember.Role.MEMBER, *, where=None, begin=start, end=None, basis=STRUCTURE):
        organisation = {"municipality": municipality[where]} if side == muni else {"trust": sshf} if side == trust else {}
        return registry.add_seat(
            secretariat, body[kind], name=name, side=side, role=role, voting=role != observer, basis=basis, start=begin, end=end, **organisation
        )

    ssu = Body.Kind.SSU
    seats = {
        "ssu_leader": seat(ssu, "Kjersti Kvadraturen", muni, leader, where="Kristiansand", end=first_end),
        "ssu_deputy": seat(ssu, "Sindre Sørlandet", trust, deputy, end=first_end),
        "ssu_next_leader": seat(ssu, "Siv Solbakken", trust, leader, begin=second),
        "ssu_next_deputy": seat(ssu, "Kjell Kvadraturen", muni, deputy, where="Kristiansand", begin=second),
        "ssu_member": seat(ssu, "Arne Arendalsen", muni, where="Arendal"),
    }
    seat(ssu, "Lise Lindesnes", muni, where="Lindesnes")
    seat(ssu, "Frode Flekkefjord", muni, where="Flekkefjord")
    seat(ssu, "Vigdis Valle", muni, where="Valle")
    seat(ssu, "Torunn Tvedestrand", muni, where="Tvedestrand")
    seat(ssu, "Hans Hovedgården", trust)
    seat(ssu, "Marit Medisinsk", trust)
    seat(ssu, "Bente Brukerstemme", user_rep, observer, basis=STRUCTURE + ": brukerrepresentant med tale- og forslagsrett")
    seat(Body.Kind.SECRETARIAT, "Helge Helsesamhandling", trust, basis=STRUCTURE + ": samhandlingsleder i Sørlandet sykehus")
    portfolio = "Porteføljesekretariatet vurderer søknadene (" + SSU_CASE + ")"
    working = "AU-SSU: mottak av prosjektinitiativ og oversikt over porteføljen (" + SSU_CASE + ")"
    seats["coordinator"] = [
        seat(Body.Kind.ASSESSMENT, "Aud Agdestein", muni, where="Kristiansand", basis=portfolio),
        seat(Body.Kind.AU, "Aud Agdestein", muni, BodyMember.Role.SECRETARY, where="Kristiansand", basis=working),
    ]
    seat(Body.Kind.ASSESSMENT, "Helge Helsesamhandling", trust, basis=portfolio)
    seat(Body.Kind.AU, "Kjersti Kvadraturen", muni, leader, where="Kristiansand", end=first_end, basis=working)
    seat(Body.Kind.AU, "Sindre Sørlandet", trust, deputy, end=first_end, basis=working)
    return seats


def _money(rhf_admin, secretariat, hso, agder) -> dict:
    """Helse Sør-Øst's money from 2025 and Agder's share, transferred for 2025 and 2026. The 2027
    share is left for the RHF administrator to transfer; the common budget is reserved each year."""
    with demo_clock(moment(D(2025, 1, 6), 13)):
        for year in range(2025, 2030):
            funding.book_rhf_appropriation(
                rhf_admin, rhf=hso, year=year, name=f"{'Forventet v' if year > 2025 else 'V'}arig RS-tilskudd {year} – Helse Sør-Øst",
                amount=HSO_YEARLY, expected=year > 2025, reference=HSO_ASSUMPTION,
            )
        root = funding.root_pot(hso)
        local = funding.create_pot(
            rhf_admin, parent=root, name="Direkte overføring til helsefellesskapene i Helse Sør-Øst", kind=Pot.Kind.DIRECT_TRANSFER,
            description="Helse Sør-Øst RHF overfører RS-midlene til helsefellesskapene, som fordeler dem selv.",
        )
        pot = funding.create_pot(
            rhf_admin, parent=local, name="RS-midler – Helsefellesskapet Agder", kind=Pot.Kind.APPLICATION, helsefellesskap=agder,
            description="Ca. 9 mill. kr i 2024 (" + SSU_CASE + "). Samme beløp i senere år er en forutsetning i demodataene.",
        )
        for year in range(2025, 2028):
            funding.transfer(rhf_admin, source=root, target=local, year=year, amount=AGDER_YEARLY, note="Andelen til Helsefellesskapet Agder")
        funding.transfer_to_helsefellesskap(rhf_admin, source=local, year=2025, parts=[(pot, AGDER_YEARLY)], note="RS-midler 2025")
    with demo_clock(moment(D(2025, 1, 20), 10)):
        _common_budget(secretariat, pot, 2025)
    with demo_clock(moment(D(2026, 1, 5), 10)):
        funding.pass_appropriation(rhf_admin, Appropriation.objects.get(rhf=hso, year=2026), reference="Statsbudsjettet 2026. " + HSO_ASSUMPTION)
        funding.transfer_to_helsefellesskap(rhf_admin, source=local, year=2026, parts=[(pot, AGDER_YEARLY)], note="RS-midler 2026")
    with demo_clock(moment(D(2026, 1, 7), 10)):
        _common_budget(secretariat, pot, 2026)
    return {"root": root, "local": local, "agder": pot}


def _common_budget(secretariat, pot: Pot, year: int) -> None:
    funding.set_reserve(
        secretariat, pot=pot, year=year, kind=Reserve.Kind.ADMINISTRATION, amount=COMMON_BUDGET,
        note="Helsefellesskapets felles budsjett (" + SSU_CASE + "). Indeksreguleres årlig; indeksen står ikke i kildene.",
    )


def _call_2026(secretariat, pot: Pot, body: dict) -> Call:
    """Last year's call: open from January to 1 March 2026, then closed. The secretariat copies it for 2027."""
    rows = {
        "criteria": [
            {"order": i, "name": name, "description": text, "scale_min": 1, "scale_max": 5, "weight": 1} for i, (name, text) in enumerate(CRITERIA, start=1)
        ],
        "steps": [
            {"step": ProcessStep.Step.FORMAL_CHECK, "body": body[Body.Kind.SECRETARIAT]},
            {"step": ProcessStep.Step.ASSESSMENT, "body": body[Body.Kind.ASSESSMENT]},
            {"step": ProcessStep.Step.RECOMMENDATION, "body": body[Body.Kind.AU]},
            {"step": ProcessStep.Step.DECISION, "body": body[Body.Kind.SSU]},
        ],
        "deadlines": [{"at": moment(D(2026, 3, 1), 23, 59), "label": "Søknadsfrist"}],
        "caps": [],
    }
    with demo_clock(moment(D(2026, 1, 12), 10)):
        call = calls.create_call(
            secretariat, pot=pot, rows=rows, title=CALL_2026, purpose=PURPOSE, priorities=PRIORITIES, eligibility=ELIGIBILITY,
            allowed_types=[ApplicationType.PROJECT, ApplicationType.PRE_PROJECT], frame_amount=AGDER_YEARLY - COMMON_BUDGET, frame_year=2026,
            max_project_years=3, pre_project_max_years=1, decision_dates="Vedtak i SSU i juni 2026", reporting_rules=REPORTING,
            contact="Sekretariatet i Helsefellesskapet Agder",
        )
        calls.publish_call(secretariat, call)
    with demo_clock(moment(D(2026, 3, 2), 8)):
        calls.close_call(secretariat, call)
    return call
