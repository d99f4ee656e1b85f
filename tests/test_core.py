import pytest
from django.core.management import call_command

from rsportal.core import formatting
from rsportal.core.audit import record
from rsportal.core.forms import KronerField
from rsportal.core.models import AppendOnlyError, AuditEvent


def test_kroner_use_norwegian_grouping():
    assert formatting.kroner(1_234_567) == "1\u00a0234\u00a0567\u00a0kr"
    assert formatting.kroner(0) == "0\u00a0kr"
    assert formatting.kroner(None) == "–"
    assert formatting.mnok(92_850_000) == "92,9\u00a0mill.\u00a0kr"


@pytest.mark.parametrize("typed,value", [("1 500 000", 1_500_000), ("1500000 kr", 1_500_000), ("1.500.000", 1_500_000), ("1\u00a0500", 1500)])
def test_kroner_field_reads_what_people_type(typed, value):
    assert KronerField().clean(typed) == value


def test_kroner_field_refuses_decimals():
    with pytest.raises(Exception, match="helt antall kroner"):
        KronerField().clean("1500,50")


def test_audit_trail_is_append_only(world, personas):
    event = record(personas.sysadmin, "test.done", world.hf, "Noe skjedde", detail=1)
    assert (event.actor, event.object_type, event.object_id, event.data) == (personas.sysadmin, "registry.helsefellesskap", str(world.hf.pk), {"detail": 1})
    event.summary = "endret"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get().summary == "Noe skjedde"


def test_no_missing_migrations(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
