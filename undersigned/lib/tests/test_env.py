from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from undersigned.lib.env import (
    EnvError,
    database_from_url,
    env_bool,
    env_int,
    env_secret,
    persistent_secret,
    private_sqlite,
)

ROOT = Path(__file__).resolve().parents[3]


def test_env_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 1) == 42
    assert env_int("X_MISSING", 7) == 7
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(EnvError):
        env_bool("X_BOOL", False)


def test_secret_is_read_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_secret("X_SECRET") == "s3cret"


def test_generated_secret_persists(tmp_path: Path) -> None:
    first = persistent_secret(tmp_path / "key")
    assert len(first) >= 32
    assert persistent_secret(tmp_path / "key") == first


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_generated_secret_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    persistent_secret(tmp_path / "key")
    assert _mode(tmp_path / "key") == 0o600


# Opens the site's own SQLite database as the site does (settings.DATABASES, WAL) with the
# usual umask, writes a row and, with the connection still open, prints each file's mode.
_OPEN_AND_WRITE = """
import json, os, stat
os.umask(0o022)
import django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS t (x)")
    cursor.execute("INSERT INTO t VALUES (1)")
    name = str(settings.DATABASES["default"]["NAME"])
    print(json.dumps({
        suffix: stat.S_IMODE(os.stat(name + suffix).st_mode)
        for suffix in ("", "-wal", "-shm") if os.path.exists(name + suffix)
    }))
"""


def _open_and_write(data_dir: Path) -> dict[str, int]:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env.update(DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="undersigned.settings")
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", _OPEN_AND_WRITE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modes: dict[str, int] = json.loads(result.stdout)
    return modes


def test_the_sqlite_database_and_its_wal_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    modes = _open_and_write(tmp_path)
    assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_database_files_readable_by_others_are_tightened_at_start(tmp_path: Path) -> None:
    database = tmp_path / "undersigned.sqlite3"
    _open_and_write(tmp_path)
    for suffix in ("", "-wal", "-shm", "-journal"):
        loose = database.with_name(database.name + suffix)
        loose.touch()
        loose.chmod(0o644)
    private_sqlite(database)
    assert {
        suffix: _mode(database.with_name(database.name + suffix))
        for suffix in ("", "-wal", "-shm", "-journal")
    } == dict.fromkeys(("", "-wal", "-shm", "-journal"), 0o600)
    (database.with_name(database.name + "-journal")).unlink()
    # And through the settings, as every process starts.
    database.chmod(0o644)
    assert _open_and_write(tmp_path)[""] == 0o600


def test_database_url() -> None:
    db = database_from_url("postgres://u:p%40ss@db.local:6543/undersigned?sslmode=require")
    assert db["NAME"] == "undersigned"
    assert db["PASSWORD"] == "p@ss"
    assert db["PORT"] == "6543"
    assert db["OPTIONS"] == {
        "sslmode": "require",
        "server_side_binding": True,
        "prepare_threshold": 2,
    }
    options = database_from_url(
        "postgres://db.local/u?server_side_binding=false&prepare_threshold=none"
    )["OPTIONS"]
    assert options == {"server_side_binding": False, "prepare_threshold": None}
    assert database_from_url("postgres://db.local/u?prepare_threshold=0")["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": 0,
    }
    with pytest.raises(EnvError, match="prepare_threshold"):
        database_from_url("postgres://db.local/u?prepare_threshold=often")
    with pytest.raises(EnvError):
        database_from_url("mysql://x/y")


def test_on_postgresql_a_statement_is_prepared_on_the_server_from_its_third_run(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite prepares in-process")
    # As DATABASE_URL asks: by default, once run twice.
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [41])
            assert cursor.fetchone() == (42,)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert ("SELECT $1::int + 1" in prepared) is (threshold is not None and threshold <= 2)
