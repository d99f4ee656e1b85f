"""Backup and restore of the database and the uploaded files, as one .tar.gz archive.

The database is stored in the best format the setup allows:

- SQLite: a consistent copy made with SQLite's online backup API (safe while the portal runs).
- PostgreSQL with pg_dump/pg_restore on PATH: pg_dump's custom format. It is a transactionally
  consistent snapshot with the full schema (constraints, sequences), restores quickly and is the
  format PostgreSQL operators already know.
- Otherwise (or with --format json): Django's dumpdata/loaddata. Slower and data-only (the schema
  comes from the migrations), but it needs no client tools and restores into either database,
  which also makes it the way to move between SQLite and PostgreSQL.

Uploaded files under MEDIA_ROOT go into the same archive, so data and attachments match.
"""

import datetime
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

ARCHIVE_VERSION = 1
NATIVE_SQLITE = "sqlite"
NATIVE_POSTGRES = "pg_dump"
PORTABLE = "json"
DB_MEMBER = {NATIVE_SQLITE: "database.sqlite3", NATIVE_POSTGRES: "database.pgdump", PORTABLE: "database.json"}
# Re-created by migrate/flush with their own ids; everything refers to them by natural key instead.
DUMPDATA_EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


def choose_format(requested: str = "auto") -> str:
    if requested == PORTABLE:
        return PORTABLE
    if connection.vendor == "sqlite":
        return NATIVE_SQLITE
    if connection.vendor == "postgresql" and shutil.which("pg_dump") and shutil.which("pg_restore"):
        return NATIVE_POSTGRES
    if requested == "native":
        raise CommandError(f"No native backup for {connection.vendor} here (pg_dump/pg_restore not on PATH?)")
    return PORTABLE


def _pg_command(tool: str) -> tuple[list[str], dict]:
    db = connection.settings_dict
    args = [tool, "--no-owner", "--no-privileges"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _give_up_after(seconds: float):
    """SQLite's backup retries for ever while another connection holds a lock; stop instead."""
    deadline = time.monotonic() + seconds

    def progress(status, remaining, total):
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise CommandError("The SQLite database stayed locked; try again when it is less busy.")

    return progress


def _dump_database(fmt: str, target: Path) -> None:
    if fmt == NATIVE_SQLITE:
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy, progress=_give_up_after(60))
        copy.close()
    elif fmt == NATIVE_POSTGRES:
        args, env = _pg_command("pg_dump")
        args += ["--format=custom", "--file", str(target), connection.settings_dict["NAME"]]
        result = subprocess.run(args, env=env, capture_output=True, text=True)
        if result.returncode:
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
    else:
        call_command("dumpdata", natural_foreign=True, exclude=DUMPDATA_EXCLUDE, output=str(target), indent=None, verbosity=0)


def _restore_database(fmt: str, source: Path) -> None:
    if fmt == NATIVE_SQLITE:
        if connection.vendor != "sqlite":
            raise CommandError("This backup is a SQLite database; make a --format json backup to move to PostgreSQL.")
        connection.ensure_connection()
        with sqlite3.connect(source) as copy:
            copy.backup(connection.connection, progress=_give_up_after(60))
        copy.close()
    elif fmt == NATIVE_POSTGRES:
        if connection.vendor != "postgresql":
            raise CommandError("This backup is a pg_dump archive; make a --format json backup to move to SQLite.")
        if not shutil.which("pg_restore"):
            raise CommandError("pg_restore is not on PATH.")
        connection.close()  # our own open connection would otherwise hold locks on tables being dropped
        args, env = _pg_command("pg_restore")
        args += ["--clean", "--if-exists", "--single-transaction", "--dbname", connection.settings_dict["NAME"], str(source)]
        result = subprocess.run(args, env=env, capture_output=True, text=True)
        if result.returncode:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
    else:
        call_command("flush", interactive=False, verbosity=0)
        call_command("loaddata", str(source), verbosity=0)


def _applied_migrations() -> dict[str, str]:
    latest = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def backup(path: Path, requested_format: str = "auto") -> dict:
    fmt = choose_format(requested_format)
    manifest = {
        "archive_version": ARCHIVE_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "database_format": fmt,
        "database_vendor": connection.vendor,
        "migrations": _applied_migrations(),
    }
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / DB_MEMBER[fmt]
        _dump_database(fmt, dump)
        partial = path.with_name(path.name + ".part")
        # Written aside and renamed, so an interrupted backup never looks like a complete one.
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=DB_MEMBER[fmt])
            files = 0
            if media_root.is_dir():
                for item in sorted(media_root.rglob("*")):
                    if item.is_file():
                        archive.add(item, arcname=f"media/{item.relative_to(media_root).as_posix()}")
                        files += 1
        os.replace(partial, path)
    manifest["media_files"] = files
    return manifest


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(archive.extractfile("manifest.json"))
    except KeyError as exc:
        raise CommandError("Not an RS-portalen backup (no manifest.json).") from exc
    if manifest.get("archive_version") != ARCHIVE_VERSION:
        raise CommandError(f"Unknown backup version {manifest.get('archive_version')!r}.")
    return manifest


def restore(path: Path) -> dict:
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(path, "r:gz") as archive, tempfile.TemporaryDirectory() as tmp:
        manifest = read_manifest(archive)
        fmt = manifest["database_format"]
        if fmt not in DB_MEMBER:
            raise CommandError(f"Unknown database format {fmt!r} in the backup.")
        if fmt == PORTABLE and manifest["migrations"] != _applied_migrations():
            # loaddata needs the schema the data was dumped from.
            raise CommandError("The database is not migrated to the same state as the backup; run migrate to match it first.")
        members = [m for m in archive.getmembers() if m.name == DB_MEMBER[fmt] or m.name.startswith("media/")]
        # The "data" filter refuses absolute paths, "..", links out of the tree and device files.
        archive.extractall(tmp, members=members, filter="data")
        _restore_database(fmt, Path(tmp) / DB_MEMBER[fmt])
        if media_root.exists():
            shutil.rmtree(media_root)
        media_root.mkdir(parents=True, exist_ok=True)
        extracted = Path(tmp) / "media"
        if extracted.is_dir():
            shutil.copytree(extracted, media_root, dirs_exist_ok=True)
    return manifest
