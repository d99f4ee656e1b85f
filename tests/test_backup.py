"""`rsportal backup` / `rsportal restore`: data and uploaded files come back after changes.
Runs on whichever database the suite uses (CI runs both SQLite and PostgreSQL)."""

import tarfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rsportal.registry.models import Municipality, PopulationFigure
from rsportal.security import backup as backup_module

from . import factories as f


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    (settings.MEDIA_ROOT / "vedlegg").mkdir(parents=True)
    (settings.MEDIA_ROOT / "vedlegg" / "avtale.pdf").write_bytes(b"%PDF-1.7 signert avtale")
    return settings.MEDIA_ROOT


# transactional_db: pg_dump reads through its own connection and must see committed rows.
@pytest.mark.parametrize("fmt", ["auto", "json"])
def test_backup_then_restore_brings_data_and_files_back(transactional_db, media, tmp_path, fmt):
    county = f.CountyFactory(number="55", name="Troms")
    f.MunicipalityFactory(number="5501", name="Tromsø", county=county, population=78745)
    f.MunicipalityFactory(number="5503", name="Harstad", county=county, population=24915)
    f.UserFactory(username="sekretariat")
    archive = tmp_path / "rsportal-backup.tar.gz"

    call_command("backup", str(archive), "--format", fmt)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = backup_module.read_manifest(tar)
    assert "media/vedlegg/avtale.pdf" in names
    expected = "json" if fmt == "json" else backup_module.choose_format()
    assert manifest["database_format"] == expected

    Municipality.objects.filter(number="5503").delete()
    Municipality.objects.filter(number="5501").update(name="Feil navn")
    PopulationFigure.objects.filter(municipality__number="5501").update(population=1)
    f.MunicipalityFactory(number="9999", name="Ny etter backup", county=county)
    (media / "vedlegg" / "avtale.pdf").unlink()
    (media / "ny.txt").write_text("kom etter backup")

    call_command("restore", str(archive), "--noinput")

    assert dict(Municipality.objects.values_list("number", "name")) == {"5501": "Tromsø", "5503": "Harstad"}
    assert PopulationFigure.objects.get(municipality__number="5501").population == 78745
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="sekretariat")
    assert user.check_password(f.PASSWORD)
    assert (media / "vedlegg" / "avtale.pdf").read_bytes() == b"%PDF-1.7 signert avtale"
    assert not (media / "ny.txt").exists()
    # The restored database still takes new rows (sequences were restored too).
    f.MunicipalityFactory(number="9998", name="Etter gjenoppretting", county=county)


def test_pg_dump_missing_falls_back_to_json(db, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(backup_module.shutil, "which", lambda name: None)
    assert backup_module.choose_format() == ("sqlite" if connection.vendor == "sqlite" else "json")


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz"):
        pass
    with pytest.raises(CommandError, match="Not an RS-portalen backup"):
        call_command("restore", str(bogus), "--noinput")


def test_restore_asks_before_replacing_everything(transactional_db, tmp_path, monkeypatch):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive))
    monkeypatch.setattr("builtins.input", lambda prompt: "nei")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", str(archive))
