"""The demo data set: the real registry plus the real Helse Nord money of 2024-2026.

Figures come from the sources in shared seeds (board case 154-2024, the 2026 STU
minutes, Fafo appendix table 18). Where the sources leave something open, the
loader says so in the object's description instead of inventing a figure.

On top of that, round.py builds a fictional round of the regional scheme at every stage
(drafts, checks, scores, a held STU meeting with decisions, follow-up), through the
domain functions, so every persona finds work to do.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from rsportal.accounts.models import OrganisationRole
from rsportal.funding import domain
from rsportal.funding.models import Appropriation, DistributionKey, Grant, Pot
from rsportal.funding.registration import register_grant
from rsportal.registry import importers, services
from rsportal.registry.models import Body, BodyMember, HealthTrust, Helsefellesskap, Municipality, RegionalHealthAuthority

DEMO_PASSWORD = "demo-passord"
K = 1000  # table 18 is in kr thousand
M = 1_000_000

BOARD_CASE = "Styresak 154-2024 Helse Nord RHF"
MINUTES = "Referat Tildelingsutvalget 1/2026"
FAFO18 = "Fafo 2026, vedleggstabell 18"
SECOND_ROUND_2026_FRAME = 46_300_000  # minutes 1/2026, item 4/2026
PROSJEKT_X_2026 = 10 * M  # minutes 1/2026: earmarked for the region's Prosjekt X in 2026

# Applicant roles and seats run from the start of the scheme, so the demo round (built
# through the domain functions at its own dates in 2026) finds everyone in office.
SCHEME_START = datetime.date(2025, 1, 1)


def _make_user(username: str, first: str, last: str, password: str = "", **extra):
    """`password` is the already hashed demo password (see load_people)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.invalid", **extra}
    )
    if created:
        user.password = password or make_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _seat(body: Body, user, *, side: str, role: str = BodyMember.Role.MEMBER, **extra) -> BodyMember:
    seat, _ = BodyMember.objects.get_or_create(
        body=body,
        user=user,
        defaults={
            "name": user.get_full_name(),
            "side": side,
            "role": role,
            "voting": role != BodyMember.Role.OBSERVER,
            "start": SCHEME_START,
            **extra,
        },
    )
    return seat


def _applicant(user, **organisation) -> None:
    OrganisationRole.objects.get_or_create(user=user, kind=OrganisationRole.Kind.APPLICANT, defaults={"valid_from": SCHEME_START}, **organisation)


def load_people() -> dict:
    """Demo personas (fictional people) for every role, all with the password DEMO_PASSWORD.

    Helse Nord's STU follows board case 154-2024: eight voting members (a municipal leader or
    deputy from each of the four helsefellesskap, two from the trusts, rotating every second
    year, and two from Helse Nord RHF who are the committee's leader and secretary) and the
    user representative as an observer who may speak and propose but not vote."""
    nord = RegionalHealthAuthority.objects.get(code="HN")
    municipality = {m.name: m for m in Municipality.objects.filter(county__number__in=["18", "55", "56"])}
    trust = {t.code: t for t in HealthTrust.objects.filter(rhf=nord)}
    community = {hf.code: hf for hf in Helsefellesskap.objects.filter(rhf=nord)}
    stu = Body.objects.get(kind=Body.Kind.ALLOCATION, rhf=nord)
    rhf_secretariat = Body.objects.get(kind=Body.Kind.SECRETARIAT, rhf=nord)

    def local_secretariat(code):
        return Body.objects.get(kind=Body.Kind.SECRETARIAT, helsefellesskap=community[code])

    # Hashed once for all demo users: the password is published and the same for everyone, so one
    # salt hides nothing, and it saves a deliberately slow hash per user on every load.
    hashed = make_password(DEMO_PASSWORD)

    def _user(username, first, last, **extra):
        return _make_user(username, first, last, password=hashed, **extra)

    people = {
        "admin": _user("admin", "Systemadministrator", "Demo", is_staff=True, is_superuser=True),
        "rhf_admin": _user("rhf.nord", "Randi", "Regionsen"),
        "secretariat": _user("sekretariat.nord", "Sigrid", "Sekretær"),
        "local_secretariat": _user("sekretariat.tromsofoten", "Tor", "Koordinatorsen"),
        "secretariat_finnmark": _user("sekretariat.finnmark", "Frida", "Fjordsen"),
        "secretariat_lvs": _user("sekretariat.lvs", "Lars", "Lofotsen"),
        "secretariat_helgeland": _user("sekretariat.helgeland", "Hege", "Helgesen"),
        "chair": _user("stu.leder", "Liv", "Ledersen"),
        "member": _user("stu.medlem", "Mats", "Medlemsen"),
        "member_finnmark": _user("stu.finnmark", "Hanne", "Hammerfjell"),
        "member_lvs": _user("stu.lvs", "Bjørn", "Bodøsen"),
        "member_helgeland": _user("stu.helgeland", "Rita", "Ranberg"),
        "member_fin": _user("stu.finnmarkssykehuset", "Frode", "Foretaksen"),
        "member_unn": _user("stu.unn", "Una", "Universitetsen"),
        "observer": _user("stu.observator", "Olga", "Observatørsen"),
        "applicant": _user("soker.tromso", "Siri", "Søkersen"),
        "trust_applicant": _user("soker.unn", "Trond", "Helseforetaksen"),
        "applicant_alta": _user("soker.alta", "Aslak", "Altasen"),
        "applicant_bodo": _user("soker.bodo", "Berit", "Saltstraumen"),
        "applicant_vefsn": _user("soker.vefsn", "Vegard", "Vefsnes"),
        "outsider": _user("utenforstaende", "Ulf", "Utenforsen"),
    }
    OrganisationRole.objects.get_or_create(user=people["rhf_admin"], kind=OrganisationRole.Kind.RHF_ADMIN, rhf=nord, defaults={"valid_from": SCHEME_START})
    _applicant(people["applicant"], municipality=municipality["Tromsø"])
    _applicant(people["trust_applicant"], trust=trust["UNN"])
    _applicant(people["applicant_alta"], municipality=municipality["Alta"])
    _applicant(people["applicant_bodo"], municipality=municipality["Bodø"])
    _applicant(people["applicant_vefsn"], municipality=municipality["Vefsn"])
    _seat(rhf_secretariat, people["secretariat"], side=BodyMember.Side.RHF, role=BodyMember.Role.SECRETARY)
    _seat(local_secretariat("troms-ofoten"), people["local_secretariat"], side=BodyMember.Side.MUNICIPALITY, municipality=municipality["Tromsø"])
    _seat(local_secretariat("finnmark"), people["secretariat_finnmark"], side=BodyMember.Side.MUNICIPALITY, municipality=municipality["Hammerfest"])
    _seat(local_secretariat("lvs"), people["secretariat_lvs"], side=BodyMember.Side.TRUST, trust=trust["NLSH"])
    _seat(local_secretariat("helgeland"), people["secretariat_helgeland"], side=BodyMember.Side.MUNICIPALITY, municipality=municipality["Vefsn"])
    # STU: the two from Helse Nord RHF lead and keep the minutes, and both vote.
    _seat(stu, people["chair"], side=BodyMember.Side.RHF, role=BodyMember.Role.LEADER)
    _seat(stu, people["secretariat"], side=BodyMember.Side.RHF, role=BodyMember.Role.SECRETARY)
    # One municipal leader or deputy from each helsefellesskap.
    _seat(stu, people["member"], side=BodyMember.Side.MUNICIPALITY, municipality=municipality["Tromsø"])
    _seat(stu, people["member_finnmark"], side=BodyMember.Side.MUNICIPALITY, municipality=municipality["Hammerfest"])
    _seat(stu, people["member_lvs"], side=BodyMember.Side.MUNICIPALITY, municipality=municipality["Bodø"])
    _seat(stu, people["member_helgeland"], side=BodyMember.Side.MUNICIPALITY, municipality=municipality["Rana"])
    # The trusts' two seats rotate every second year (Finnmarkssykehuset/Nordlandssykehuset and
    # UNN/Helgelandssykehuset); in 2025-2026 Finnmarkssykehuset and UNN hold them.
    _seat(stu, people["member_fin"], side=BodyMember.Side.TRUST, trust=trust["FIN"])
    _seat(stu, people["member_unn"], side=BodyMember.Side.TRUST, trust=trust["UNN"])
    _seat(stu, people["observer"], side=BodyMember.Side.USER_REP, role=BodyMember.Role.OBSERVER)
    return people


def load_money(admin) -> dict:
    """Appropriations 2024-2026, Helse Nord's pots, the 27 table-18 grants, Vefsn and Prosjekt X."""
    rhf = {r.code: r for r in RegionalHealthAuthority.objects.all()}
    nord = rhf["HN"]

    # 2024: 150 MNOK to the three other RHFs by the basic-funding key (61.9 / 21.9 / 16.2 %),
    # which gives the 92.85 / 32.85 / 24.30 MNOK of the board case's table 1.
    key = DistributionKey.objects.create(
        name="Basisfinansieringsnøkkel 2024 (Sør-Øst, Vest, Midt-Norge)",
        description="Andeler som gir fordelingen 92,85 / 32,85 / 24,30 mill. kr av 150 mill. kr i 2024 (styresak 154-2024, tabell 1).",
    )
    for code, share in (("HSO", "0.619"), ("HV", "0.219"), ("HMN", "0.162")):
        key.shares.create(rhf=rhf[code], share=Decimal(share))

    appropriations = [
        Appropriation(year=2024, name="RS-tilskudd 2024 til Sør-Øst, Vest og Midt-Norge", amount=150 * M, key=key, reference=BOARD_CASE + ", tabell 1"),
        Appropriation(year=2024, name="Saldert budsjett 2024 – Helse Nord", amount=40 * M, rhf=nord, reference=BOARD_CASE),
        Appropriation(year=2024, name="Revidert nasjonalbudsjett 2024 – Helse Nord", amount=90 * M, rhf=nord, reference=BOARD_CASE),
        Appropriation(year=2025, name="Varig RS-tilskudd 2025 – Helse Nord", amount=130 * M, rhf=nord, reference=BOARD_CASE + " (varig tilskudd på 130 mill. kr)"),
        Appropriation(year=2026, name="Varig RS-tilskudd 2026 – Helse Nord", amount=130 * M, rhf=nord, reference=BOARD_CASE + " (varig tilskudd på 130 mill. kr)"),
    ]
    # The national figures (280 MNOK in 2024, 286 in 2025) are registry data (national_grant.csv);
    # the sources split 2025 and 2026 only for Helse Nord, so only that is booked, and the money
    # page says what is missing. Prosjekt X is not an appropriation of its own: it is paid out of
    # the regional pot below (Fafo: "tas direkte av RS-potten").
    # Later years of multi-year grants are promised against the permanent grant before the budget
    # is passed, so those appropriations are booked as expected.
    for year in (2027, 2028, 2029):
        appropriations.append(
            Appropriation(
                year=year,
                name=f"Forventet varig RS-tilskudd {year} – Helse Nord",
                amount=130 * M,
                rhf=nord,
                expected=True,
                reference=BOARD_CASE + " (varig tilskudd; beløpet for året er ikke vedtatt)",
            )
        )
    for appropriation in appropriations:
        appropriation.save()
        domain.book_appropriation(admin, appropriation)

    root = domain.root_pot(nord)
    local = domain.create_pot(
        admin,
        parent=root,
        name="Direkte overføring til helsefellesskapene i Nord",
        kind=Pot.Kind.DIRECT_TRANSFER,
        description="40 mill. kr i året som Helse Nord RHF overfører til de fire helsefellesskapene (modell 1, lokal pott).",
    )
    regional = domain.create_pot(
        admin,
        parent=root,
        name="Regional søknadsbasert ordning Helse Nord",
        kind=Pot.Kind.APPLICATION,
        description="90 mill. kr i året, tildeles av Tildelingsutvalget (STU) etter søknad (modell 2, styresak 154-2024). "
        "Direkte tildelinger utenom utlysning («sidesporet»: intermediær døgnpost i Vefsn og Prosjekt X) betales av denne potten "
        "og reduserer midlene til RS-prosjekter tilsvarende (Fafo 2026, kap. 6.1: «tas direkte av RS-potten»). "
        "2026: 90 mill. kr og ubrukte 2025-midler, minus tilsagnene for 2026 i Fafos vedleggstabell 18 (20,3 mill. kr), Vefsn (21 mill. kr) "
        "og Prosjekt X (10 mill. kr), gir 46,3 mill. kr ledig: rammen for andre tildelingsrunde 2026 (referat 1/2026). Kildene oppgir ikke "
        "vedtakene i den runden, så beløpet står som ledig her.",
    )
    for year in range(2024, 2030):
        domain.transfer(admin, source=root, target=local, year=year, amount=40 * M, note="Direkte overføring")
        domain.transfer(admin, source=root, target=regional, year=year, amount=90 * M, note="Regional søknadsbasert ordning")

    # The sources do not give the key by which the 40 MNOK is split between the four
    # communities; the demo splits it by population (1.1.2024) and says so.
    communities = list(Helsefellesskap.objects.filter(rhf=nord).order_by("name"))
    population = services.population_by_helsefellesskap(datetime.date(2024, 1, 1))
    local_pots = {}
    for hf in communities:
        local_pots[hf.pk] = domain.create_pot(
            admin,
            parent=local,
            name=f"Lokal pott – {hf.name}",
            kind=Pot.Kind.APPLICATION,
            helsefellesskap=hf,
            description="Fordelt etter folketall 1.1.2024. Forutsetning i demodataene: kildene oppgir ikke fordelingsnøkkelen.",
        )
    for year in range(2024, 2030):
        parts = domain.split_by_shares(40 * M, [(hf, Decimal(population[hf.pk])) for hf in communities])
        for hf, amount in parts:
            domain.transfer(admin, source=local, target=local_pots[hf.pk], year=year, amount=amount, note="Fordelt etter folketall")

    # The regional scheme was decided in December 2024; its 2024 money was granted from 2025 on.
    domain.carry_over(admin, pot=regional, from_year=2024, amount=90 * M, note="2024-midlene tildeles i første søknadsrunde 2025")

    grants = load_table18(admin, regional)
    # The sources call none of table 18's later years conditional: the table lists them as granted.
    from rsportal.followup.domain import plan_reports
    from rsportal.followup.models import ReportingRule

    # All Helse Nord projects report on 1 February (STU minutes); Prosjekt X also half-yearly.
    ReportingRule.objects.create(pot=root, frequency=ReportingRule.Frequency.YEARLY, due_month=2, due_day=1)

    vefsn_pot = domain.create_pot(
        admin,
        parent=regional,
        name="Direkte tildeling – intermediær døgnpost Vefsn",
        kind=Pot.Kind.DIRECT_ALLOCATION,
        description="Tilsagn utenom utlysning etter revidert søknad (foretaksprotokoll 18. august 2025). "
        "Tildeling for 2027 og 2028 avgjøres på grunnlag av framdriften i 2026.",
    )
    domain.transfer(admin, source=regional, target=vefsn_pot, year=2026, amount=21 * M, note="Vefsna helseklynge")
    # Decided outside any call, so registered as such (the minutes quote the protocol's date and terms).
    vefsn = register_grant(
        admin,
        pot=vefsn_pot,
        title="Intermediær døgnpost Vefsn (Vefsna helseklynge)",
        helsefellesskap=Helsefellesskap.objects.get(code="helgeland"),
        owners=[Municipality.objects.get(number="1824"), HealthTrust.objects.get(code="HSYK")],
        amounts_by_year={2026: 21 * M},
        decided_by="Helse Nord RHF (foretaksprotokoll)",
        decided_on=datetime.date(2025, 8, 18),
        reason="Tilsagn etter revidert søknad, for oppstart av intermediær døgnpost i Vefsn. Tildeling for 2027 og 2028 "
        "vil være basert på søknaden som allerede er mottatt, og på fortløpende status for utviklingen av prosjektet gjennom 2026.",
        reference=MINUTES,
    )

    from rsportal.followup.models import ReportDue

    for grant in [*grants, vefsn]:
        plan_reports(grant)
    # The minutes (1/2026) say every report due 1 February 2026 reached the committee by e-mail.
    ReportDue.objects.filter(due_date=datetime.date(2026, 2, 1)).update(received_elsewhere="Mottatt per e-post (referat Tildelingsutvalget 1/2026)")
    # The minutes say Helse Nord "has received 10 MNOK earmarked" for Prosjekt X in 2026; Fafo says the
    # money is taken from the RS pot and the RS projects get that much less. Fafo is the more specific
    # source on where the money comes from, so the earmarked pot is funded from the regional pot.
    prosjekt_x = domain.create_pot(
        admin,
        parent=regional,
        name="Prosjekt X",
        kind=Pot.Kind.EARMARKED,
        description="10 mill. kr øremerket regionens Prosjekt X i 2026, hvorav 5 mill. kr er tildelt så langt (referat Tildelingsutvalget 1/2026). "
        "Pengene tas av RS-tilskuddet, ikke i tillegg til det: Fafo 2026 (kap. 6.1) sier at Prosjekt X «tas direkte av RS-potten» og at "
        "«tilskuddsmidlene til RS-prosjekter reduseres tilsvarende». Referatet sier bare at Helse Nord har fått 10 mill. kr øremerket; "
        "vi følger Fafo, som er den mer presise kilden om hvor pengene kommer fra.",
    )
    domain.transfer(admin, source=regional, target=prosjekt_x, year=2026, amount=PROSJEKT_X_2026, note="Øremerket Prosjekt X 2026")
    ReportingRule.objects.create(pot=prosjekt_x, frequency=ReportingRule.Frequency.YEARLY, due_month=2, due_day=1)
    ReportingRule.objects.create(pot=prosjekt_x, frequency=ReportingRule.Frequency.HALF_YEARLY)
    domain.commit_allocation(
        admin,
        pot=prosjekt_x,
        year=2026,
        amount=5 * M,
        description="Tildelt Prosjekt X-prosjektene i Nord-Norge så langt (referatet oppgir ikke fordelingen per prosjekt)",
    )
    reconcile_second_round_2026(admin, regional)
    return {"root": root, "local": local, "regional": regional, "grants": grants, "vefsn": vefsn}


def load_table18(admin, pot: Pot) -> list[Grant]:
    """The allocations of Fafo appendix table 18 as grants with yearly commitments."""
    by_code = {hf.code: hf for hf in Helsefellesskap.objects.filter(rhf__code="HN")}
    north = Municipality.objects.filter(county__number__in=["18", "55", "56"])
    municipalities = {m.name: m for m in north}
    trusts = {t.code: t for t in HealthTrust.objects.filter(rhf__code="HN")}
    pre = {"nei": Grant.PreProject.NO, "ja": Grant.PreProject.YES, "komb": Grant.PreProject.COMBINED}
    grants = []
    for row in importers.read_csv(importers.SNAPSHOT_DIR / "helse_nord_allocations_table18.csv"):
        grant = Grant.objects.create(
            pot=pot,
            title=row["name"],
            helsefellesskap=by_code[row["helsefellesskap_code"]],
            pre_project=pre[row["pre_project"]],
            round_label=row["round"],
            reference=FAFO18,
        )
        owners = [o.strip() for o in row["owners"].split(";") if o.strip()]
        grant.municipalities.set([municipalities[o] for o in owners if o in municipalities])
        grant.trusts.set([trusts[o] for o in owners if o in trusts])
        unknown = [o for o in owners if o not in municipalities and o not in trusts]
        if unknown:
            raise ValueError(f"Unknown owners in table 18 row {row['name']!r}: {unknown}")
        amounts = {year: int(row[f"y{year}"]) * K for year in range(2025, 2030) if row[f"y{year}"]}
        domain.commit_grant(admin, grant=grant, amounts=amounts)
        grants.append(grant)
    return grants


def reconcile_second_round_2026(admin, regional: Pot) -> int:
    """Make the regional pot's free 2026 money match the 46.3 MNOK frame of the second round.

    What is left of the 2026 money after table 18, Vefsn and Prosjekt X is less than the frame in
    the minutes, and the sources do not say how the frame was reckoned. Much of the 2024-2025
    money was still unspent (Fafo: about 150 MNOK not distributed in autumn 2025), so the demo
    carries the difference over from 2025 and says so in the ledger. Returns the amount moved."""
    from rsportal.funding.models import PotYear

    free = PotYear.objects.get(pot=regional, year=2026).available()
    missing = SECOND_ROUND_2026_FRAME - free
    if missing > 0:
        domain.carry_over(
            admin,
            pot=regional,
            from_year=2025,
            amount=missing,
            note="Ubrukte 2025-midler, slik at rammen på 46,3 mill. kr for andre tildelingsrunde 2026 (referat 1/2026, sak 4/2026) er dekket. "
            "Kildene sier ikke hvordan rammen er regnet ut; overføringen er en forutsetning i demodataene.",
        )
    return max(missing, 0)


HN_PURPOSE = (
    "Tilskuddet skal understøtte forpliktende samarbeid mellom primær- og spesialisthelsetjenesten om "
    "tjenesteutvikling og gode pasientforløp, og legge til rette for et godt desentralisert helsetilbud med god "
    "kvalitet og riktig arbeidsdeling. Det skal være likeverdighet mellom kommuner og sykehus, og midlene brukes "
    "etter enighet. Tilskuddet finansierer prosjekter og tiltak i høyst 3 til 5 år; målet er at tiltaket på sikt "
    "inngår i ordinær drift."
)
HN_PRIORITIES = """Pasientgrupper med sammensatte behov: psykiske lidelser, flere kroniske sykdommer, barn og unge, skrøpelige eldre
Svangerskaps-, fødsels- og barselomsorg og kvinnehelse
Integrert psykisk helsetjeneste og rustjeneste
Rehabilitering
Færre utskrivningsklare pasienter i sykehus
Tiltak som kan få ned ventetidene i spesialisthelsetjenesten
Lokale løsninger i opptaksområdet til de minste sykehusene
Økt bærekraft i vår felles helsetjeneste"""
HN_ELIGIBILITY = """Tiltaket stimulerer til effektiv ressursutnyttelse og skaper ikke større behov for helsetjenester
Midlene finansierer ikke aktivitet som er del av ordinær drift i dag
Digitale tiltak er i tråd med Nasjonal e-helsestrategi og oppfyller Normen
Dokumentert enighet mellom kommune(r) og helseforetak (signert avtale om felles søknad)
Involvering av brukere, tillitsvalgte og vernetjenesten er dokumentert"""


def _aware(day: datetime.date, hour: int = 12):
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def regional_call(pot: Pot, title: str, year: int, deadline: datetime.date, status: str):
    """A call of Helse Nord's regional application-based scheme (model 2), configured as in
    board case 154-2024 and the STU minutes: local prioritisation in each helsefellesskap,
    the RHF secretariat checks and assesses, STU decides."""
    from rsportal.applications.criteria import add_default_criteria
    from rsportal.applications.models import Call, ProcessStep

    nord = pot.rhf
    stu = Body.objects.get(kind=Body.Kind.ALLOCATION, rhf=nord)
    rhf_secretariat = Body.objects.get(kind=Body.Kind.SECRETARIAT, rhf=nord)
    call = Call.objects.create(
        pot=pot,
        title=title,
        status=status,
        purpose=HN_PURPOSE,
        priorities=HN_PRIORITIES,
        eligibility=HN_ELIGIBILITY,
        max_forwarded_per_helsefellesskap=5,
        max_project_years=5,
        pre_project_max_years=1,
        contact="Sekretariatet for RS-tilskuddet i Helse Nord RHF",
        frame_year=year,
    )
    call.deadlines.create(at=_aware(deadline), label="Helsefellesskapene sender sine prioriterte søknader til Tildelingsutvalget")
    # The minutes give the range (1.5-2.5 MNOK by number of municipalities), not the steps; these steps are the demo's choice.
    for count, cap in ((1, 1_500_000), (2, 2_000_000), (4, 2_500_000)):
        call.pre_project_caps.create(min_municipalities=count, max_amount=cap)
    add_default_criteria(call)
    ProcessStep.objects.create(call=call, step=ProcessStep.Step.FORMAL_CHECK, body=rhf_secretariat)
    ProcessStep.objects.create(call=call, step=ProcessStep.Step.LOCAL_PRIORITISATION, by_each_helsefellesskap=True)
    ProcessStep.objects.create(call=call, step=ProcessStep.Step.ASSESSMENT, body=rhf_secretariat)
    ProcessStep.objects.create(call=call, step=ProcessStep.Step.RECOMMENDATION, body=rhf_secretariat)
    ProcessStep.objects.create(call=call, step=ProcessStep.Step.DECISION, body=stu)
    return call


def load_calls(money: dict) -> dict:
    """Calls for three different models: the regional pot (model 2), an open local
    call (model 1) and committee-designed projects (model 3), plus the closed second
    round of 2026 with the frame from the minutes."""
    from rsportal.applications.criteria import add_default_criteria
    from rsportal.applications.models import Call, DesignedProject, ProcessStep
    from rsportal.funding.models import PotYear

    regional = money["regional"]

    def available(pot, year):
        return PotYear.objects.get(pot=pot, year=year).available()

    second_round = regional_call(regional, "Regional søknadsbasert ordning – andre tildelingsrunde 2026", 2026, datetime.date(2026, 4, 1), Call.Status.CLOSED)
    second_round.frame_amount = SECOND_ROUND_2026_FRAME
    second_round.save(update_fields=["frame_amount"])
    yearly = regional_call(regional, "Regional søknadsbasert ordning – tilskudd for 2028", 2028, datetime.date(2027, 10, 1), Call.Status.PUBLISHED)
    yearly.frame_amount = available(regional, 2028)
    yearly.save(update_fields=["frame_amount"])

    troms = Helsefellesskap.objects.get(code="troms-ofoten")
    troms_pot = Pot.objects.get(helsefellesskap=troms)
    local = Call.objects.create(
        pot=troms_pot,
        title="Lokal pott 2027 – Helsefellesskapet Troms og Ofoten",
        status=Call.Status.PUBLISHED,
        purpose=HN_PURPOSE,
        priorities=HN_PRIORITIES,
        eligibility=HN_ELIGIBILITY,
        max_project_years=3,
        frame_year=2027,
        frame_amount=available(troms_pot, 2027),
        allowed_types=["project", "pre_project", "continuation"],
        contact="Samhandlingssekretariatet i Troms og Ofoten",
    )
    local.deadlines.create(at=_aware(datetime.date(2027, 3, 1)), label="Søknadsfrist")
    add_default_criteria(local)
    secretariat = Body.objects.get(kind=Body.Kind.SECRETARIAT, helsefellesskap=troms)
    ssu = Body.objects.get(kind=Body.Kind.SSU, helsefellesskap=troms)
    ProcessStep.objects.create(call=local, step=ProcessStep.Step.FORMAL_CHECK, body=secretariat)
    ProcessStep.objects.create(call=local, step=ProcessStep.Step.ASSESSMENT, body=secretariat)
    ProcessStep.objects.create(call=local, step=ProcessStep.Step.RECOMMENDATION, body=secretariat)
    ProcessStep.objects.create(call=local, step=ProcessStep.Step.DECISION, body=ssu)

    helgeland = Helsefellesskap.objects.get(code="helgeland")
    helgeland_pot = Pot.objects.get(helsefellesskap=helgeland)
    fsu = Body.objects.get(kind=Body.Kind.FSU, helsefellesskap=helgeland)
    designed = Call.objects.create(
        pot=helgeland_pot,
        title="Prosjekter utformet av fagrådene 2027 – Helgeland",
        kind=Call.Kind.DESIGNED,
        status=Call.Status.PUBLISHED,
        purpose="Eksempel i demodataene på modell 3: de faglige samarbeidsutvalgene utformer prosjekter, og kommunene melder "
        "interesse for å delta. Strategisk samarbeidsutvalg (SSU) vedtar porteføljen.",
        frame_year=2027,
        frame_amount=available(helgeland_pot, 2027),
        rolling=True,
    )
    ProcessStep.objects.create(call=designed, step=ProcessStep.Step.ASSESSMENT, body=fsu)
    ProcessStep.objects.create(call=designed, step=ProcessStep.Step.DECISION, body=Body.objects.get(kind=Body.Kind.SSU, helsefellesskap=helgeland))
    for title, text in (
        ("Felles rehabiliteringsforløp etter hjerneslag", "Sømløst forløp fra sykehus til kommunal rehabilitering med felles team og digital oppfølging hjemme."),
        ("Delte stillinger for sykepleiere i distriktene", "Kombinerte stillinger mellom sykehuset og kommunene for å rekruttere og beholde sykepleiere."),
    ):
        DesignedProject.objects.create(call=designed, title=title, description=text, designed_by=fsu, join_deadline=datetime.date(2027, 2, 1))
    return {"yearly": yearly, "local": local, "designed": designed, "second_round": second_round}


@transaction.atomic
def load_demo() -> dict:
    """Load everything. Refuses to run twice on the same database (money would double)."""
    counts = importers.load_snapshot()
    people = load_people()
    if Appropriation.objects.exists():
        return {"registry": counts, "people": len(people), "money": "already loaded"}
    from rsportal.archive import recording as archive

    from . import agder
    from . import ideas as demo_ideas
    from . import payments as demo_payments
    from . import round as demo_round

    # The archive's PDF/A documents are made afterwards by `archive_process` (make demo runs it).
    with archive.deferred():
        money = load_money(people["admin"])
        calls = load_calls(money)
        built = demo_round.build(people, money, calls)
        agder.load(people["admin"])  # Helsefellesskapet Agder's own process beside Helse Nord's
        demo_ideas.load(people)  # ideas before applications, with partners suggested and connected
        demo_payments.load(people)  # Alta's payment requests: one paid in the summer, one waiting
    return {"registry": counts, "people": len(people), "grants": len(money["grants"]) + 1, "calls": 4 + len(built["calls"]), "applications": built["applications"]}
