"""Settings, read from KEYHOUSE_* environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEYHOUSE_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = None
    secret_key: str | None = None
    max_key_lifetime_days: int = Field(default=730, ge=1, le=36500)
    api_key_email_domain: str = "api-keys.keyhouse.invalid"
    session_lifetime_hours: int = Field(default=12, ge=1)
    # Secure cookies need HTTPS; behind a TLS-terminating proxy set this to true.
    cookie_secure: bool = False
    # Failed authentications (bad keys, bad passwords) allowed per client and window.
    auth_failure_limit: int = Field(default=20, ge=1)
    auth_failure_window_seconds: int = Field(default=60, ge=1)
    # Comma-separated proxy addresses whose X-Forwarded-For is believed.
    trusted_proxies: str = ""
    max_body_bytes: int = Field(default=262_144, ge=1024)
    # Threads per server process that run requests' work (one thread-pool call each).
    # More threads mostly fight over the GIL: at 16 connections an authenticated GET cost
    # 1.7x the CPU with 8 threads as with 2 on SQLite, 1.2-1.6x on PostgreSQL. Default: 2 on
    # SQLite (reads take microseconds, writers queue for one lock anyway), 4 on PostgreSQL
    # (threads overlap network round trips; a distant database may want more).
    worker_threads: int | None = Field(default=None, ge=1, le=1000)
    # Connections kept per server process; default: one per worker thread and two for the
    # background threads, so no request ever waits for, or opens, a connection. (PostgreSQL
    # point reads have a pool of their own besides: one per worker thread; core/db.py.)
    db_pool_size: int | None = Field(default=None, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)

    def threads(self, *, sqlite: bool) -> int:
        return self.worker_threads or (2 if sqlite else 4)

    def pool_size(self, *, sqlite: bool) -> int:
        return self.db_pool_size or self.threads(sqlite=sqlite) + 2

    # The in-server webhook worker (a daemon thread per server process): the expiry sweep
    # and the delivery of queued webhook events. Off: run `keyhouse sweep` from cron.
    webhook_worker: bool = True
    webhook_delivery_interval_seconds: float = Field(default=2.0, gt=0, le=3600)
    expiry_sweep_interval_seconds: float = Field(default=60.0, gt=0, le=86400)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    def resolved_database_url(self) -> str:
        url = self.database_url or f"sqlite:///{(self.data_dir / 'keyhouse.db').as_posix()}"
        # The plain scheme means psycopg 3, as documented.
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        elif url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        return url

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


async def settings_of(request: Request) -> Settings:
    """The settings the running app was created with (tests create apps with their own)."""
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(settings_of)]
