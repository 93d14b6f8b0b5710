"""Typed settings for the service, read from HYDROMET_* environment variables."""

from functools import lru_cache
from typing import Literal

from pydantic import HttpUrl, PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of the service; see the README for what each one does."""

    model_config = SettingsConfigDict(env_prefix="HYDROMET_", env_file=".env", extra="ignore")

    database_url: PostgresDsn = PostgresDsn("postgresql+psycopg://postgres@127.0.0.1:55432/hydromet")
    db_pool_size: int = 20
    db_statement_timeout_ms: int = 30_000
    db_connect_timeout_s: int = 5
    environment: Literal["dev", "test", "prod"] = "dev"
    api_prefix: str = "/api/v1"
    public_base_url: str = "http://127.0.0.1:8000"
    problem_base_url: HttpUrl = HttpUrl("https://hydromet.gov.vn/problems")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "INFO"
    max_page_size: int = 1000
    default_page_size: int = 100
    feed_max_page_size: int = 10_000  # /share/v1/changes: a full sync goes in big pages, streamed
    max_body_bytes: int = 10 * 1024 * 1024
    max_import_bytes: int = 50 * 1024 * 1024  # POST /imports/*: a 100k-row station list is ~20 MB
    rate_limit_per_minute: int = 600
    cors_origins: list[str] = []
    dev_admin_key_file: str = ".data/dev-admin-key"
    partner_timeout_s: float = 10
    key_cache_ttl_s: float = 5
    # read replicas (hot standbys), comma-separated URLs; none: every request goes to the primary
    database_read_urls: str = ""
    replica_max_lag_s: float = 5
    replica_check_interval_s: float = 0.5

    def read_urls(self) -> list[str]:
        """Return the replica URLs of HYDROMET_DATABASE_READ_URLS, in order."""
        return [u.strip() for u in self.database_read_urls.split(",") if u.strip()]


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
