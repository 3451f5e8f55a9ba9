"""Typed readers for settings that come from the environment only."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvError(ValueError):
    """A variable is set to something its reader cannot use."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EnvError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise EnvError(f"{name} must be an integer; got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE (for container secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def persistent_secret(path: Path) -> str:
    """Return the secret kept in `path`, creating it once with 256 random bits.

    Lets a server started with no configuration keep sessions and signed links valid
    across restarts without anyone choosing a key.
    """
    import secrets

    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


# The files SQLite keeps a database in: the database, its write-ahead log and shared memory
# (WAL mode), and the rollback journal of other modes.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def private_sqlite(path: Path) -> Path:
    """`path`, an SQLite database that only the service's user may read or write.

    It holds every signer's name and address. Made here, empty, with mode 0600 if it does not
    exist yet (SQLite makes its -wal, -shm and -journal files with the database's own mode);
    any of its files found readable by others is set to 0600. A file of another user's is
    left as it is: only its owner may change its mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for suffix in SQLITE_SUFFIXES:
        companion = path.with_name(path.name + suffix)
        try:
            found = companion.stat()
            if found.st_mode & 0o077 and found.st_uid == os.geteuid():
                companion.chmod(0o600)
        except FileNotFoundError:  # none, or a log SQLite removed meanwhile
            continue
    return path


def database_from_url(url: str) -> dict[str, object]:
    """Turn postgres://user:password@host:port/name?option=value into a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise EnvError(
            f"DATABASE_URL must start with postgres:// or postgresql://; got {parts.scheme!r}"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise EnvError("DATABASE_URL must name a database, e.g. postgres://user@host/undersigned")
    options: dict[str, object] = dict(parse_qsl(parts.query))
    # Query parameters travel apart from the SQL (psycopg's server-side binding) instead of being
    # quoted into it by Python, which costs the web processes less CPU per signature.
    # `?server_side_binding=false` keeps Django's default.
    binding = str(options.get("server_side_binding", "true")).lower()
    options["server_side_binding"] = binding not in {"0", "false", "no", "off"}
    # A statement a connection has run this many times is prepared on the server for its next
    # runs (psycopg's prepare_threshold): PostgreSQL then parses and plans it once.
    # `?prepare_threshold=none` prepares nothing: for PgBouncer in transaction pooling mode
    # older than 1.21 or without max_prepared_statements.
    threshold = str(options.get("prepare_threshold", "2")).lower()
    if threshold in {"none", "off", "false", ""}:
        options["prepare_threshold"] = None
    elif threshold.isdigit():
        options["prepare_threshold"] = int(threshold)
    else:
        raise EnvError(
            f"prepare_threshold in DATABASE_URL must be a whole number or none; got {threshold!r}"
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }
