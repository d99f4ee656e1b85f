"""The demo round's projects: fictional joint applications from municipalities and trusts in
Helse Nord, written the way applicants fill in the form of board case 154-2024 (attachment 4).

Each project names who starts it (a demo persona), its partners and what it asks for;
`round.py` enters it through the applicants' own domain functions. Titles and texts are
invented for the demo; municipalities and trusts are real."""

from dataclasses import dataclass, field


@dataclass
class Project:
    key: str
    starter: str  # persona key in loader.load_people()
    helsefellesskap: str  # helsefellesskap code
    title: str
    type: str
    municipalities: list[str]  # besides the starter's own organisation
    trusts: list[str]
    goal: str
    target_group: str
    activities: str
    grant_by_year: dict[int, int]
    patient_groups: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    is_digital: bool = False
    coauthor: str = ""  # persona key of a co-author from a partner organisation
    quality: int = 3  # how the committee will see it, 1-5: drives the demo's scores


# --- Tilskudd for 2027: applied for by 1 October 2026, decided by STU on 18 November 2026 ---

PALLIATION = Project(
    key="palliation",
    starter="trust_applicant",
    helsefellesskap="troms-ofoten",
    title="Felles kompetanseteam for palliasjon i Midt-Troms",
    type="project",
    municipalities=["Senja", "Målselv", "Sørreisa", "Dyrøy"],
    trusts=[],
    goal="Flere palliative pasienter i Midt-Troms skal kunne være hjemme eller på sykehjem i eget nærmiljø den siste tiden, "
    "med trygg lindring og færre akutte innleggelser på UNN Harstad og Tromsø.",
    target_group="Voksne med uhelbredelig sykdom og kort forventet levetid, deres pårørende og helsepersonellet i de fire kommunene.",
    activities="Et felles ambulerende team (palliativ sykepleier, lege og fysioterapeut) fra UNN og kommunene; felles prosedyrer, "
    "hospitering begge veier, veiledning på sykehjemmene hver måned og en felles vaktordning for råd på telefon.",
    grant_by_year={2027: 2_400_000, 2028: 2_400_000, 2029: 1_800_000},
    patient_groups=["chronic", "frail_elderly"],
    themes=["teams", "pathways"],
    quality=5,
)

NURSES = Project(
    key="nurses",
    starter="applicant_alta",
    helsefellesskap="finnmark",
    title="Rekruttering av sykepleiere til distriktskommuner i Vest-Finnmark",
    type="project",
    municipalities=["Hammerfest", "Loppa", "Hasvik"],
    trusts=["FIN"],
    goal="Stabil sykepleiebemanning i de minste kommunene i Vest-Finnmark og mindre bruk av innleie fra byrå.",
    target_group="Sykepleiere og sykepleierstudenter i Vest-Finnmark; indirekte pasientene i hjemmetjenesten og på sykehjemmene.",
    activities="Kombinerte stillinger mellom Hammerfest sykehus og kommunene, hospitering, en felles mentorordning for nyutdannede "
    "og tilrettelagte boliger for sykepleiere som flytter til Loppa og Hasvik.",
    grant_by_year={2027: 3_000_000, 2028: 3_000_000},
    patient_groups=["frail_elderly"],
    themes=["recruitment"],
    quality=4,
)

EMERGENCY_PRE = Project(
    key="emergency_pre",
    starter="applicant_vefsn",
    helsefellesskap="helgeland",
    title="Forprosjekt: Felles akutteam for eldre i Vefsn og Leirfjord",
    type="pre_project",
    municipalities=["Leirfjord"],
    trusts=["HSYK"],
    goal="Utrede om et felles akutteam kan vurdere og behandle skrøpelige eldre hjemme, slik at færre legges inn i Mosjøen.",
    target_group="Skrøpelige eldre som bor hjemme i Vefsn og Leirfjord, og som ofte legges inn akutt.",
    activities="Kartlegge innleggelser i 2025-2026, besøke tilsvarende team i Midt-Norge, beskrive modell, bemanning og kostnader, "
    "og legge fram et hovedprosjekt med avtale mellom kommunene og Helgelandssykehuset.",
    grant_by_year={2027: 1_800_000},
    patient_groups=["frail_elderly", "discharge_ready"],
    themes=["emergency", "pathways"],
    quality=4,
)

KOLS = Project(
    key="kols",
    starter="applicant_bodo",
    helsefellesskap="lvs",
    title="Digital heimeoppfølging av KOLS-pasienter i Salten",
    type="project",
    municipalities=["Fauske", "Saltdal"],
    trusts=["NLSH"],
    goal="KOLS-pasienter i Salten skal følges opp hjemme med digitale målinger og få hjelp tidligere ved forverring.",
    target_group="Pasienter med alvorlig KOLS i Bodø, Fauske og Saltdal.",
    activities="Innkjøp av målesett og nettbrett, en oppfølgingstjeneste i Bodø kommune og rutiner for kontakt med lungeavdelingen.",
    grant_by_year={2027: 2_500_000, 2028: 2_500_000, 2029: 2_500_000},
    patient_groups=["chronic"],
    themes=["digital"],
    is_digital=True,
    quality=2,
)

YOUTH = Project(
    key="youth",
    starter="applicant",
    helsefellesskap="troms-ofoten",
    title="Felles psykisk helseteam for barn og unge i Tromsø og Karlsøy",
    type="project",
    municipalities=["Karlsøy"],
    trusts=["UNN"],
    goal="Barn og unge med psykiske vansker skal få hjelp tidlig og på ett sted, uten å bli sendt fram og tilbake mellom kommune og BUP.",
    target_group="Barn og unge 6-18 år med lette til moderate psykiske vansker, og familiene deres.",
    activities="Et felles team fra BUP ved UNN og kommunenes psykiske helsetjeneste med faste dager på skolene, felles inntak "
    "og veiledning av helsesykepleiere.",
    grant_by_year={2027: 2_000_000, 2028: 2_000_000, 2029: 2_000_000},
    patient_groups=["children_youth", "mental_illness"],
    themes=["teams"],
    coauthor="trust_applicant",
    quality=5,
)

ROUND_2027 = [PALLIATION, NURSES, EMERGENCY_PRE, KOLS, YOUTH]


# --- Ekstra tildelingsrunde 2027: applied for by 16 November 2026, in STU's assessment now ---

OFOTEN = Project(
    key="ofoten",
    starter="trust_applicant",
    helsefellesskap="troms-ofoten",
    title="Legevaktsamarbeid og akuttkompetanse i Ofoten",
    type="project",
    municipalities=["Narvik", "Evenes", "Tjeldsund"],
    trusts=[],
    goal="Trygg akuttberedskap i Ofoten med felles trening for legevakt, ambulanse og akuttmottaket i Narvik.",
    target_group="Akutt syke pasienter i Narvik, Evenes og Tjeldsund, og personellet som tar imot dem.",
    activities="Felles simuleringstrening hver måned, felles prosedyrer og hospitering mellom legevakten og akuttmottaket.",
    grant_by_year={2027: 1_600_000, 2028: 1_600_000},
    themes=["emergency", "digital"],
    quality=4,
)

PSYCHOLOGISTS = Project(
    key="psychologists",
    starter="applicant_bodo",
    helsefellesskap="lvs",
    title="Kombinerte psykologstillinger mellom DPS Salten og kommunene",
    type="project",
    municipalities=["Saltdal", "Gildeskål"],
    trusts=["NLSH"],
    goal="Rekruttere og beholde psykologer i Salten ved å dele stillinger mellom DPS og kommunene.",
    target_group="Voksne med psykiske lidelser og rusproblemer i Bodø, Saltdal og Gildeskål.",
    activities="Tre kombinerte stillinger, felles fagnettverk og veiledning, og en felles venteliste for lavterskeltilbudet.",
    grant_by_year={2027: 1_900_000, 2028: 1_900_000, 2029: 1_900_000},
    patient_groups=["mental_substance", "mental_illness"],
    themes=["recruitment"],
    quality=4,
)

DISCHARGE = Project(
    key="discharge",
    starter="applicant",
    helsefellesskap="troms-ofoten",
    title="Trygg heim etter utskriving – felles utskrivingsteam i Tromsø",
    type="project",
    municipalities=[],
    trusts=["UNN"],
    goal="Færre utskrivningsklare pasienter som blir liggende på UNN Tromsø, og færre reinnleggelser de første 30 dagene.",
    target_group="Eldre pasienter med sammensatte behov som skrives ut fra UNN Tromsø til hjemmetjenesten.",
    activities="Et felles utskrivingsteam som planlegger hjemreisen fra innleggelsesdagen og følger pasienten hjemme den første uka.",
    grant_by_year={2027: 1_500_000, 2028: 1_500_000},
    patient_groups=["discharge_ready", "frail_elderly"],
    themes=["pathways", "teams"],
    coauthor="trust_applicant",
    quality=3,
)

DENTAL_PRE = Project(
    key="dental_pre",
    starter="applicant_alta",
    helsefellesskap="finnmark",
    title="Forprosjekt: Ernæring og munnhelse for skrøpelige eldre i Alta",
    type="pre_project",
    municipalities=[],
    trusts=["FIN"],
    goal="Utrede et felles tilbud som oppdager underernæring og dårlig munnhelse hos eldre før de blir innlagt.",
    target_group="Hjemmeboende eldre med hjemmetjenester i Alta.",
    activities="Kartlegging med felles verktøy, samarbeid med Klinikk Alta og tannhelsetjenesten, og et forslag til hovedprosjekt.",
    grant_by_year={2027: 900_000},
    patient_groups=["frail_elderly"],
    themes=["pathways"],
    quality=3,
)

ROUND_EXTRA = [OFOTEN, PSYCHOLOGISTS, DISCHARGE, DENTAL_PRE]


# --- Tilskudd for 2028: open until 1 October 2027 ---

NURSE_EXCHANGE = Project(
    key="nurse_exchange",
    starter="applicant",
    helsefellesskap="troms-ofoten",
    title="Hospitering og felles kompetanseplan for sykepleiere i Tromsø kommune og UNN",
    type="project",
    municipalities=[],
    trusts=["UNN"],
    goal="Sykepleiere i kommunen og på sykehuset skal kjenne hverandres arbeid, og nyutdannede skal bli værende i regionen.",
    target_group="Sykepleiere i hjemmetjenesten og på sykehjemmene i Tromsø og på medisinsk klinikk ved UNN.",
    activities="Hospitering begge veier i to uker, felles introduksjonsprogram for nyutdannede og en felles kompetanseplan.",
    grant_by_year={2028: 1_200_000, 2029: 1_200_000},
    themes=["recruitment"],
    quality=3,
)

REHAB = Project(
    key="rehab",
    starter="trust_applicant",
    helsefellesskap="troms-ofoten",
    title="Ambulant rehabiliteringsteam i Nord-Troms",
    type="project",
    municipalities=["Nordreisa", "Skjervøy", "Kvænangen"],
    trusts=[],
    goal="Rehabilitering nær hjemmet for pasienter i Nord-Troms etter hjerneslag og brudd, med kortere opphold i Tromsø.",
    target_group="Voksne som trenger rehabilitering etter sykehusopphold, bosatt i Nordreisa, Skjervøy og Kvænangen.",
    activities="Et ambulant team fra UNN og Nordreisa helsesenter som besøker pasientene og veileder hjemmetjenesten.",
    grant_by_year={2028: 2_200_000, 2029: 2_200_000},
    patient_groups=["rehabilitation"],
    themes=["teams"],
    quality=4,
)

PREGNANCY = Project(
    key="pregnancy",
    starter="applicant",
    helsefellesskap="troms-ofoten",
    title="Samhandlingsforløp for gravide med rusutfordringer i Troms",
    type="project",
    municipalities=["Balsfjord"],
    trusts=["UNN"],
    goal="Gravide med rusutfordringer skal få ett sammenhengende forløp fra første kontroll til barnet er ett år.",
    target_group="Gravide og nybakte foreldre med rusutfordringer i Tromsø og Balsfjord.",
    activities="Felles forløpskoordinator, faste samarbeidsmøter mellom jordmortjenesten, barnevernet og UNN, og en felles plan per familie.",
    grant_by_year={2028: 1_400_000, 2029: 1_400_000},
    patient_groups=["maternity", "mental_substance"],
    themes=["pathways"],
    coauthor="trust_applicant",
)

WELFARE_TECH = Project(
    key="welfare_tech",
    starter="trust_applicant",
    helsefellesskap="troms-ofoten",
    title="Digitalt tilsyn og velferdsteknologi i hjemmetjenesten",
    type="project",
    municipalities=["Tromsø"],
    trusts=[],
    goal="Felles løsning for digitalt tilsyn som deler varsler mellom hjemmetjenesten og sykehuset.",
    target_group="Hjemmeboende med hjemmetjenester og høy risiko for innleggelse.",
    activities="",
    grant_by_year={},
    themes=["digital"],
    is_digital=True,
    coauthor="applicant",
)

MIDWIFE = Project(
    key="midwife",
    starter="applicant_vefsn",
    helsefellesskap="helgeland",
    title="Delte jordmorstillinger og følgetjeneste på Helgeland",
    type="project",
    municipalities=["Hemnes", "Grane"],
    trusts=["HSYK"],
    goal="Trygg svangerskaps- og barselomsorg nær hjemmet, og en følgetjeneste som holder når fødeavdelingen er langt unna.",
    target_group="Gravide og nybakte mødre i Vefsn, Hemnes og Grane, og jordmødrene som følger dem.",
    activities="Delte jordmorstillinger mellom kommunene og Helgelandssykehuset, felles vaktordning for følgetjenesten og felles opplæring.",
    grant_by_year={2028: 1_700_000, 2029: 1_700_000},
    patient_groups=["maternity"],
    themes=["recruitment", "pathways"],
)

ROUND_2028_SUBMITTED = [NURSE_EXCHANGE, REHAB]  # Troms og Ofoten has not prioritised them yet
ROUND_2028_FORWARDED = [MIDWIFE]  # Helgeland forwards as applications come in; waiting for the formal check
ROUND_2028_DRAFTS = [PREGNANCY, WELFARE_TECH]
