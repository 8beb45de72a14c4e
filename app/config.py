"""Typed configuration, read from ``instance/config.toml`` and the environment.

The file is created on the very first run (no config and no database yet).
A config that is missing while a database exists, or that does not parse, is
an error with a clear message: guessing would risk a new secret key or the
wrong role on top of real records.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROLES = ("station", "central")
CONFIG_NAME = "config.toml"
SQLITE_NAME = "tip-screen.sqlite3"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """The instance configuration is missing, unreadable or invalid."""


def is_loopback(host: str) -> bool:
    """This computer only (127.0.0.0/8, ::1, localhost): where plain HTTP is allowed."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_instance_path() -> Path:
    return Path(os.environ.get("TIP_SCREEN_INSTANCE", Path.cwd() / "instance")).resolve()


@dataclass(frozen=True)
class Config:
    instance_path: Path
    secret_key: str
    role: str = "station"
    database_url: str = ""
    idle_timeout_minutes: int = 15
    # Cookies get the Secure flag; set when the app is served over TLS.
    tls: bool = False
    # "production" or "test": test parameters make key derivation cheap.
    kdf_profile: str = "production"
    login_max_failures: int = 5
    login_lockout_minutes: int = 5
    # Days a synced record stays readable on the station before its local copy is deleted.
    retention_days: int = 7
    # Station: seconds between automatic sync attempts (0 = only on demand).
    sync_interval_seconds: int = 300
    # Central: the address stations use to reach this server (shown with enrolment codes).
    public_url: str = ""
    # Proxies in front of this server whose X-Forwarded-For / -Proto to believe (0: none;
    # the client's address is then the connection's, whatever a header claims).
    trusted_proxies: int = 0
    # Central: counts from 1 to this minus one are never shown without opening records
    # (the small-cell rule, docs/analytics.md); 2 at the least.
    small_cell_threshold: int = 5
    # Station: where the post is, for the referral step (docs/referrals.md): organisations in
    # this province (or the whole country) are proposed; another country's are across the border.
    post_country: str = "TH"
    post_province: str = ""
    # Central: a referral no organisation answered within this many days is overdue.
    referral_overdue_days: int = 7
    # Central: a full export opens records in a second process too (docs/exports.md); false:
    # in the export's own process only.
    export_worker: bool = True
    # Central: uploads checked and stored at once, across all of central (PostgreSQL advisory
    # locks) and in one worker process; beyond either, 503 with Retry-After (docs/sync.md).
    ingest_slots: int = 4
    ingest_slots_per_worker: int = 2
    testing: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ConfigError(f"role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if self.idle_timeout_minutes < 1:
            raise ConfigError("idle_timeout_minutes must be 1 or more")
        if self.kdf_profile not in ("production", "test"):
            raise ConfigError("kdf_profile must be 'production' or 'test'")
        if len(self.secret_key) < 32:
            raise ConfigError("secret_key must be at least 32 characters")
        if self.sync_interval_seconds < 0:
            raise ConfigError("sync_interval_seconds must be 0 or more")
        if self.retention_days < 0:
            raise ConfigError("retention_days must be 0 or more")
        if not 0 <= self.trusted_proxies <= 5:
            raise ConfigError("trusted_proxies must be between 0 and 5")
        if not 2 <= self.small_cell_threshold <= 100:
            raise ConfigError("small_cell_threshold must be between 2 and 100")
        if len(self.post_country) != 2 or not self.post_country.isascii() or not self.post_country.isupper():
            raise ConfigError("post_country must be a two-letter country code such as \"TH\"")
        if len(self.post_province) > 80:
            raise ConfigError("post_province must be at most 80 characters")
        if not 1 <= self.referral_overdue_days <= 365:
            raise ConfigError("referral_overdue_days must be between 1 and 365")
        if not 1 <= self.ingest_slots <= 1000 or not 1 <= self.ingest_slots_per_worker <= 1000:
            raise ConfigError("ingest_slots and ingest_slots_per_worker must be between 1 and 1000")
        if self.login_max_failures < 1 or self.login_lockout_minutes < 1:
            raise ConfigError("login_max_failures and login_lockout_minutes must be 1 or more")

    @property
    def sqlalchemy_url(self) -> str:
        url = self.database_url or f"sqlite:///{self.instance_path / SQLITE_NAME}"
        # psycopg 3 is the PostgreSQL driver; accept the common short spellings.
        for short in ("postgres://", "postgresql://"):
            if url.startswith(short):
                return "postgresql+psycopg://" + url[len(short) :]
        return url

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)


_ALLOWED_KEYS = {
    "secret_key": str,
    "role": str,
    "database_url": str,
    "idle_timeout_minutes": int,
    "tls": bool,
    "kdf_profile": str,
    "login_max_failures": int,
    "login_lockout_minutes": int,
    "retention_days": int,
    "sync_interval_seconds": int,
    "public_url": str,
    "trusted_proxies": int,
    "small_cell_threshold": int,
    "post_country": str,
    "post_province": str,
    "referral_overdue_days": int,
    "export_worker": bool,
    "ingest_slots": int,
    "ingest_slots_per_worker": int,
}
# Settings that moved elsewhere: a config still holding one is refused with where it went.
_MOVED_KEYS = {
    "hotlines": "hotlines are in the referral directory now (app/services/referrals/directory.yaml, "
                "or the station's own instance/directory.yaml): move them there and remove [hotlines]",
}


def _from_mapping(instance_path: Path, data: dict[str, Any], source: str) -> Config:
    for key, where in _MOVED_KEYS.items():
        if key in data:
            raise ConfigError(f"{source}: {where}. Nothing was changed.")
    unknown = sorted(set(data) - set(_ALLOWED_KEYS))
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s): {', '.join(unknown)}")
    for key, kind in _ALLOWED_KEYS.items():
        if key in data and not isinstance(data[key], kind):
            raise ConfigError(f"{source}: {key} must be a {kind.__name__}")
    if "secret_key" not in data:
        raise ConfigError(f"{source}: secret_key is missing")
    try:
        return Config(instance_path=instance_path, **data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_config(instance_path: Path | None = None, *, create: bool = True) -> Config:
    """Read the instance config; on a first run (nothing in instance/) create it."""
    instance_path = (instance_path or default_instance_path()).resolve()
    path = instance_path / CONFIG_NAME
    if not path.exists():
        if (instance_path / SQLITE_NAME).exists():
            raise ConfigError(
                f"{path} is missing but a database exists in {instance_path}. "
                "Restore config.toml from your backup; nothing was changed."
            )
        if not create:
            raise ConfigError(f"{path} does not exist; run the station once or 'flask init'.")
        write_initial_config(instance_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} cannot be read ({exc}). Fix or restore it; nothing was changed."
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be opened: {exc.strerror}") from None
    env_url = os.environ.get("DATABASE_URL")
    if env_url:
        data["database_url"] = env_url
    return _from_mapping(instance_path, data, str(path))


def write_initial_config(instance_path: Path, role: str = "station") -> Path:
    if role not in ROLES:
        raise ConfigError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = instance_path / CONFIG_NAME
    text = (
        "# tip-screen instance settings. Keep this file private.\n"
        f'role = "{role}"\n'
        f'secret_key = "{secrets.token_urlsafe(48)}"\n'
        "idle_timeout_minutes = 15\n"
        "retention_days = 7\n"
        '# database_url = "postgresql://user@host/dbname"  (central; or set DATABASE_URL)\n'
    )
    # Exclusive create: two first runs at once must not overwrite each other's key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def set_role(instance_path: Path, role: str) -> None:
    """Rewrite only the role line of an existing config (used by run.py --role / init)."""
    if role not in ROLES:
        raise ConfigError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    path = instance_path / CONFIG_NAME
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [f'role = "{role}"' if ln.strip().startswith("role") and "=" in ln else ln
           for ln in lines]
    if not any(ln.startswith("role =") for ln in out):
        out.insert(1, f'role = "{role}"')
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
