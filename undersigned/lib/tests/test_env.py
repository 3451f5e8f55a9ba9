from __future__ import annotations

from pathlib import Path

import pytest

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
    assert db["OPTIONS"] == {"sslmode": "require", "server_side_binding": True}
    assert database_from_url("postgres://db.local/u?server_side_binding=false")["OPTIONS"] == {
        "server_side_binding": False
    }
    with pytest.raises(EnvError):
        database_from_url("mysql://x/y")
