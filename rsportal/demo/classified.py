"""The demo's classification of grants, by each helsefellesskap's secretariat, so the
statistics show classified projects, projects classified as "none" and projects nobody has
classified yet.

Table 18 (Fafo 2026, appendix) gives only titles. A grant is classified here only where the
title, read with Fafo's own description of the project in chapter 5, makes it clear; the
rest stay "not classified". An empty list means Fafo's "other groups" (obesity,
malnutrition, staff): no prioritised patient group. The grants STU decided in the demo round
start from the suggestion read from their applications; every other one is left for the
secretariat to do, so the page shows both states.
"""

import datetime

from rsportal.funding import classification
from rsportal.funding.models import Answer, Grant

from .clock import demo_clock, moment

YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN

# title -> (themes, patient groups, digital home follow-up, task shifting)
TABLE18 = {
    # Fafo 5.1 names it under digital tools; obesity is not a prioritised group.
    "Dig pas.forløp for fedme og sykelig overvekt": (["pathways", "digital"], [], UNKNOWN, UNKNOWN),
    "Integr. tjenester, underernæring. sammenhengende pasientforløp": (["pathways"], [], UNKNOWN, UNKNOWN),
    # Fafo 5.1: "Enhet for samhandling og digital oppfølging", a digital-tools project.
    "Fremtidens pasientforløp og digital oppfølging": (["pathways", "digital"], [], YES, UNKNOWN),
    # Fafo 5.1: educates, recruits and keeps nurses.
    "Helgelandssykepleieren- utdanning, rekruttering og stabilisering av spl.": (["recruitment"], [], NO, NO),
    # Fafo 5.1: e-health solutions in Lofoten, Vesterålen and Salten.
    "Inovacare som fasilitator for implementering av regionale og nasjonale e-helseløsninger": (["digital"], [], UNKNOWN, UNKNOWN),
    # Fafo 5.1: aimed at emergency help, out-of-hours services and discharge-ready patients.
    "Utredning av samhandling rundt akutt-pasienter mellom kom. i Vesterålen og Nordlandssykehuset": (["emergency"], ["discharge_ready"], NO, UNKNOWN),
    "Felles innsats for implementering av digital støtte i pasientforløp og samhandling": (["pathways", "digital"], [], UNKNOWN, UNKNOWN),
    "Forprosjekt: Utredning av piloter for samordning av psykisk helsevern og rusbehandling mellom kommune- og spesialisthelsetjenesten": (
        ["pathways"],
        ["mental_substance"],
        UNKNOWN,
        UNKNOWN,
    ),
    # Fafo 5.1: combined positions between the ambulance service and primary care.
    "Kombi-stillinger mellom ambulans- og primærhelsetj.": (["recruitment"], [], NO, YES),
    # Fafo 5.1: municipal services, out-of-hours, ambulance, AMK, police and psychiatry/TSB at NLSH.
    "Trygg akuttpsykiatri": (["emergency"], ["mental_substance"], NO, UNKNOWN),
    "Det digitale sykehuset": (["digital"], [], UNKNOWN, UNKNOWN),
}

# Which secretariat persona classifies the grants of each helsefellesskap.
SECRETARIATS = {"troms-ofoten": "local_secretariat", "finnmark": "secretariat_finnmark", "lvs": "secretariat_lvs", "helgeland": "secretariat_helgeland"}


def classify(people: dict, table18: list[Grant], decided: list[Grant], day: datetime.date) -> None:
    with demo_clock(moment(day, 13)):
        for grant in table18:
            if grant.title in TABLE18:
                themes, groups, home, shifting = TABLE18[grant.title]
                who = people[SECRETARIATS[grant.helsefellesskap.code]]
                classification.classify_grant(who, grant, themes=themes, patient_groups=groups, digital_home_follow_up=home, task_shifting=shifting)
        # Every other decided grant: the RHF secretariat accepted the suggestion as it stood.
        for grant in sorted(decided, key=lambda g: g.title)[::2]:
            suggestion = classification.suggest(grant)
            classification.classify_grant(
                people["secretariat"],
                grant,
                themes=suggestion.themes,
                patient_groups=suggestion.patient_groups,
                digital_home_follow_up=suggestion.digital_home_follow_up,
                task_shifting=suggestion.task_shifting,
            )
