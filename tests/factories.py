"""Factories for a small, fully controlled world. Tests that need the real
registry load the bundled snapshot instead."""

import datetime

import factory
from django.contrib.auth import get_user_model

from rsportal.accounts.models import OrganisationRole
from rsportal.registry import models as registry

PASSWORD = "test-passord-123"


class RHFFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = registry.RegionalHealthAuthority
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"R{n}")
    name = factory.LazyAttribute(lambda o: f"Helse {o.code} RHF")


class CountyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = registry.County
        django_get_or_create = ["number"]

    number = factory.Sequence(lambda n: f"{60 + n % 39:02d}")
    name = factory.LazyAttribute(lambda o: f"Fylke {o.number}")


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = registry.Municipality
        skip_postgeneration_save = True

    county = factory.SubFactory(CountyFactory)
    # Four digits like a real kommunenummer, in 9000-9999 where no real one is; the sequence runs
    # over the whole test session, so it wraps instead of growing to five digits.
    number = factory.Sequence(lambda n: f"{9000 + n % 1000}")
    name = factory.Sequence(lambda n: f"Kommune {n}")

    @factory.post_generation
    def population(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            registry.PopulationFigure.objects.create(municipality=obj, date=datetime.date(2024, 1, 1), population=extracted)


class TrustFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = registry.HealthTrust

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"Helseforetak {n} HF")
    rhf = factory.SubFactory(RHFFactory)


class HelsefellesskapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = registry.Helsefellesskap

    code = factory.Sequence(lambda n: f"hf-{n}")
    name = factory.Sequence(lambda n: f"Helsefellesskap {n}")
    trust = factory.SubFactory(TrustFactory)
    rhf = factory.SelfAttribute("trust.rhf")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = registry.Membership

    helsefellesskap = factory.SubFactory(HelsefellesskapFactory)
    municipality = factory.SubFactory(MunicipalityFactory)
    valid_from = datetime.date(2020, 1, 1)


class BodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = registry.Body

    kind = registry.Body.Kind.SSU
    name = factory.Sequence(lambda n: f"Utvalg {n}")
    helsefellesskap = factory.SubFactory(HelsefellesskapFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"bruker{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.invalid")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save()


def seat(body, user, role=registry.BodyMember.Role.MEMBER, side=registry.BodyMember.Side.MUNICIPALITY, **extra):
    return registry.BodyMember.objects.create(
        body=body,
        user=user,
        name=user.get_full_name(),
        side=side,
        role=role,
        voting=role != registry.BodyMember.Role.OBSERVER,
        start=datetime.date(2020, 1, 1),
        **extra,
    )


def role(user, kind, **scope):
    return OrganisationRole.objects.create(user=user, kind=kind, valid_from=datetime.date(2020, 1, 1), **scope)


# --- a complete application ---------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    """The smallest file the upload check accepts as a Word document."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def fill_completely(application, author, *, municipality, trust):
    """Everything the submission checks ask for, on a draft where `municipality` and `trust` take part.
    Also used by the crash test's server process, so imports stay inside."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from rsportal.applications import domain
    from rsportal.applications.models import Application, BudgetLine

    Application.objects.filter(pk=application.pk).update(
        project_owners="Tromsø kommune og UNN",
        start_date=datetime.date(2028, 1, 1),
        end_date=datetime.date(2029, 12, 31),
        agreement_date=timezone.localdate(),
        goal="Færre innleggelser",
        target_group="Skrøpelige eldre",
        activities="Felles team",
        organisations_and_staff="Hjemmetjenesten og geriatrisk avdeling",
        expected_benefit="Færre reinnleggelser",
        supports_purpose="Deler erfaringer i regionen",
        grant_use="Prosjektleder",
        financing_at_start="Tilskudd og egeninnsats",
        ordinary_operation_plan="Inn i budsjettet fra 2030",
        project_plan="Plan med evalueringspunkter",
        involvement_users="Brukerråd",
        involvement_unions="Tillitsvalgte på begge nivåer",
        involvement_safety="Verneombud på begge nivåer",
    )
    application.refresh_from_db()
    own = application.participants.get(municipality=municipality)
    theirs = application.participants.get(trust=trust)
    BudgetLine.objects.create(application=application, year=2028, kind="grant", amount=800_000, description="Prosjektleder")
    BudgetLine.objects.create(application=application, year=2028, kind="own_time", participant=own, amount=200_000, hours=400, description="Sykepleiere")
    BudgetLine.objects.create(application=application, year=2028, kind="own_competence", participant=theirs, amount=150_000, description="Geriater")
    application.benefits.create(
        benefit="health", description="Bedre helse", beneficiaries=["patients"], responsible="Prosjektleder", measurement="Reinnleggelser",
        frequency_and_data="Kvartalsvis fra journal", prerequisites="Bemanning", time_horizon="2029",
    )
    for kind, name, content in (("agreement", "avtale.pdf", PDF), ("budget", "budsjett.docx", docx_bytes())):
        domain.upload_attachment(author, application, kind=kind, uploaded=SimpleUploadedFile(name, content))
