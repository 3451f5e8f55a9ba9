from __future__ import annotations

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
)


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
