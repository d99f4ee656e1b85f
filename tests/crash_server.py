"""The other side of tests/test_crash.py: commands run in their own processes against a
database that test owns (DATABASE_URL and RSPORTAL_DATA_DIR come from the test).

    python -m tests.crash_server setup N    migrate, then make N complete draft applications;
                                            prints JSON with their ids and the applicant's login
    python -m tests.crash_server serve 0    runserver on 127.0.0.1, on a free port chosen when it
                                            binds (it prints which), in this process

`serve` can be armed with a crash point (RSPORTAL_TEST_CRASH_POINT): the submission then
stops there, writes RSPORTAL_TEST_CRASH_MARKER and waits for the test to SIGKILL the
process. Nothing in the application reads these variables; only this wrapper does.

    after-audit    the version, the new status and the audit event are written, the
                   notifications not yet; the transaction is open
    before-commit  every row of the submission is written; only COMMIT is missing
    after-commit   committed; the response has not been sent
"""

import datetime
import json
import os
import sys
import time

POINT_VARIABLE = "RSPORTAL_TEST_CRASH_POINT"
MARKER_VARIABLE = "RSPORTAL_TEST_CRASH_MARKER"
POINTS = ("after-audit", "before-commit", "after-commit")


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rsportal.settings")
    import django

    django.setup()


# --- setup -------------------------------------------------------------------------------


def setup(count: int) -> dict:
    """A migrated database with one region, a secretariat and `count` drafts that can be submitted."""
    _django()
    from django.core.management import call_command
    from django.utils import timezone

    from rsportal.accounts.models import OrganisationRole
    from rsportal.applications import domain
    from rsportal.applications.models import Call
    from rsportal.funding.models import Pot
    from rsportal.registry.models import Body
    from tests import factories as f

    call_command("migrate", verbosity=0, interactive=False)

    rhf = f.RHFFactory(code="HN", name="Helse Nord RHF")
    trust = f.TrustFactory(code="UNN", name="Universitetssykehuset Nord-Norge HF", rhf=rhf)
    hf = f.HelsefellesskapFactory(code="troms-ofoten", name="Troms og Ofoten", trust=trust)
    tromso = f.MunicipalityFactory(number="5501", name="Tromsø", county=f.CountyFactory(number="55", name="Troms"))
    f.MembershipFactory(helsefellesskap=hf, municipality=tromso)
    secretary = f.UserFactory(username="sekretar")
    f.seat(Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekretariat", helsefellesskap=hf), secretary)
    applicant = f.UserFactory(username="soker")
    f.role(applicant, OrganisationRole.Kind.APPLICANT, municipality=tromso)

    root = Pot.objects.create(rhf=rhf, kind=Pot.Kind.ROOT, name="Samlet")
    pot = Pot.objects.create(rhf=rhf, kind=Pot.Kind.APPLICATION, name="Regional pott", parent=root)
    call = Call.objects.create(
        pot=pot, title="Regional utlysning 2028", status=Call.Status.PUBLISHED, purpose="Formål",
        max_project_years=5, frame_amount=10_000_000, frame_year=2028,
    )
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))

    ids = []
    for n in range(1, count + 1):
        application = domain.start_application(applicant, call=call, title=f"Krasjprøve {n}: felles hjemmeoppfølging", type="project", helsefellesskap=hf)
        domain.add_participant(applicant, application, trust=trust, contact_name="Trond", contact_email="trond@example.invalid")
        f.fill_completely(application, applicant, municipality=tromso, trust=trust)
        problems = domain.submission_problems(application)
        assert not problems, [p.message for p in problems]
        ids.append(application.pk)
    return {"applications": ids, "username": applicant.username, "password": f.PASSWORD, "secretary_email": secretary.email}


# --- serve ---------------------------------------------------------------------------------


def _pause(point: str) -> None:
    """Tell the test where we are, then hang until it kills this process."""
    from django.db import connection

    marker = os.environ[MARKER_VARIABLE]
    with open(marker + ".part", "w") as out:
        json.dump({"point": point, "pid": os.getpid(), "in_transaction": connection.in_atomic_block}, out)
    os.replace(marker + ".part", marker)
    while True:
        time.sleep(60)


def _arm(point: str) -> None:
    """Wrap the audit write or the notification queueing that submit() calls inside its transaction."""
    from django.db import transaction

    from rsportal.applications import domain

    if point not in POINTS:
        raise SystemExit(f"unknown crash point {point!r}; one of {', '.join(POINTS)}")
    real_record, real_notify = domain.record, domain.notify

    def record(actor, action, obj, summary, **data):
        event = real_record(actor, action, obj, summary, **data)
        if point == "after-audit" and action == "application.submitted":
            _pause(point)
        return event

    def notify(recipients, subject, body, **options):
        queued = real_notify(recipients, subject, body, **options)
        if point == "before-commit":
            _pause(point)
        elif point == "after-commit":
            transaction.on_commit(lambda: _pause(point))
        return queued

    domain.record, domain.notify = record, notify


def serve(port: int) -> None:
    _django()
    from django.core.management import call_command

    point = os.environ.get(POINT_VARIABLE)
    if point:
        _arm(point)
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, skip_checks=True)


if __name__ == "__main__":
    command, argument = sys.argv[1], int(sys.argv[2])
    if command == "setup":
        print(json.dumps(setup(argument)))
    elif command == "serve":
        serve(argument)
    else:
        raise SystemExit(f"unknown command {command!r}")
