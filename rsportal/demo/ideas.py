"""Project ideas in the demo: small municipalities in Finnmark with ideas and no application yet,
the secretariat's suggested and connected partners, as the people would have done it."""

import datetime

from rsportal.ideas import domain as ideas
from rsportal.registry.models import Helsefellesskap, Municipality

from .clock import demo_clock, moment


def load(people: dict) -> list:
    finnmark = Helsefellesskap.objects.get(code="finnmark")
    hammerfest = Municipality.objects.get(name="Hammerfest", county__number="56")
    with demo_clock(moment(datetime.date(2026, 11, 3), 10)):
        shared = ideas.register_idea(
            people["applicant_alta"],
            helsefellesskap=finnmark,
            title="Felles ambulant jordmortjeneste i Vest-Finnmark",
            problem="Gravide i de minste kommunene reiser langt til kontroller, og kommunene får ikke rekruttert egne jordmødre.",
            approach="En jordmor ansatt i fellesskap reiser mellom kommunene og samarbeider med fødeavdelingen i Hammerfest om oppfølging etter fødsel.",
            target_group="Gravide og nybakte foreldre i små kommuner i Vest-Finnmark",
            looking_for_partners=True,
            wanted_partners="Nabokommuner uten egen jordmor, og Finnmarkssykehuset",
            contact_name="Aslak Altasen",
            contact_email=people["applicant_alta"].email,
        )
    with demo_clock(moment(datetime.date(2026, 11, 10), 14)):
        link = ideas.suggest_partner(people["secretariat_finnmark"], shared, municipality=hammerfest, note="Hammerfest har fødeavdelingen og ønsker samme tilbud.")
    with demo_clock(moment(datetime.date(2026, 11, 24), 9)):
        ideas.connect_partner(people["secretariat_finnmark"], link)
    with demo_clock(moment(datetime.date(2026, 11, 27), 11)):
        waiting = ideas.register_idea(
            people["applicant_alta"],
            helsefellesskap=finnmark,
            title="Digitale hjemmebesøk for eldre etter utskrivning",
            problem="Eldre som skrives ut fra sykehus, får sjelden besøk de første dagene hjemme fordi avstandene er lange.",
            approach="Hjemmetjenesten prøver videobesøk dag én og tre etter utskrivning, med sykehusets sykepleier med på første samtale.",
            target_group="Eldre over 75 år som skrives ut fra sykehus",
            looking_for_partners=True,
            contact_name="Aslak Altasen",
            contact_email=people["applicant_alta"].email,
        )
    return [shared, waiting]
