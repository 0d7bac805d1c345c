"""Settings from the environment and `.env` (every variable is documented in `.env.example`)."""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError

ENV_PREFIX = "ALERTBOT_"
DEFAULT_CATALOG = Path(str(files("config") / "feeds.toml"))
TELEGRAM_API_URL = "https://api.telegram.org"
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


def default_data_dir() -> Path:
    """Where persistent data lives when ALERTBOT_DATA_DIR is not set (XDG data home)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "alertbot"


class Settings(BaseSettings):
    """Everything an operator can set; names are the fields upper-cased with ALERTBOT_ in front."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    redis_url: str | None = None
    feeds: Path = DEFAULT_CATALOG
    poll_interval: float = Field(default=120.0, ge=1.0, le=86_400.0)
    admins: Annotated[frozenset[int], NoDecode] = frozenset()
    # Allowlist mode: when set, only these user or chat ids (and the admins) may use the bot.
    allowlist: Annotated[frozenset[int], NoDecode] = frozenset()
    command_rate: float = Field(default=20.0, gt=0, le=10_000)  # commands a minute per chat
    command_burst: int = Field(default=10, ge=1, le=1_000)  # commands at once before the rate
    data_dir: Path = Field(default_factory=default_data_dir)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for log shippers
    # /metrics (Prometheus) and /healthz on this port; unset: no HTTP endpoint.
    metrics_port: int | None = Field(default=None, ge=1, le=65_535)
    metrics_host: str = "0.0.0.0"
    health_max_poll_age: float = Field(default=900.0, gt=0)  # seconds without any poll
    health_max_sender_lag: float = Field(default=900.0, gt=0)  # oldest waiting alert, seconds
    retention_days: float = Field(default=14.0, gt=0, le=365)
    # What one feed may store, however much it publishes: a poll reads only the newest
    # max_items_per_poll entries of the document, and a feed keeps only its newest
    # max_items_per_feed items (older ones' bodies and seen markers are dropped early).
    max_items_per_poll: int = Field(default=200, ge=10, le=100_000)
    max_items_per_feed: int = Field(default=1_000, ge=10, le=1_000_000)
    # A chat gets at most burst_limit alerts from one feed a minute; the rest of them come as one
    # message listing their headlines (0: no limit).
    burst_limit: int = Field(default=5, ge=0, le=1_000)
    max_rules: int = Field(default=50, ge=1, le=10_000)
    max_rule_chars: int = Field(default=300, ge=20, le=5_000)
    max_rule_terms: int = Field(default=30, ge=1, le=500)
    synonyms: str = "default"  # "default", "none", or the path of a synonyms file
    fetch_concurrency: int = Field(default=10, ge=1, le=500)
    http_timeout: float = Field(default=20.0, gt=0, le=300)  # a whole fetch, body included
    connect_timeout: float = Field(default=10.0, gt=0, le=120)
    max_feed_bytes: int = Field(default=5_000_000, ge=10_000, le=100_000_000)
    max_item_age: float = Field(default=48.0, gt=0)  # hours: older items never alert
    min_poll_interval: float = Field(default=60.0, ge=1.0, le=86_400.0)
    max_backoff: float = Field(default=6 * 3600.0, ge=1.0, le=7 * 86_400.0)
    allow_private_feeds: bool = False  # development and tests: feeds on private addresses
    sender_concurrency: int = Field(default=8, ge=1, le=100)  # messages in flight per sender
    send_rate: float = Field(default=28.5, gt=0, le=30.0)  # messages per second, all senders
    stream_maxlen: int = Field(default=1_000_000, ge=10_000)  # deliveries kept when senders lag
    max_delivery_attempts: int = Field(default=5, ge=1, le=100)
    link_preview: bool = False  # alerts show Telegram's link preview under the text
    # Webhook instead of long polling (`alertbot run --role bot --webhook URL`): Telegram POSTs
    # updates to webhook_url; the bot listens on webhook_listen:webhook_port, and checks
    # Telegram's secret token header (generated at start when not set).
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65_535)
    webhook_secret: SecretStr | None = None

    @field_validator("telegram_token", mode="before")
    @classmethod
    def _token_shape(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if not _TOKEN_SHAPE.match(value):
                raise ValueError("not a bot token (expected digits, a colon, then the secret)")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        # Accept the form PTB uses internally ("…/bot") as well as the server root.
        return value.removesuffix("/bot")

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if not re.match(r"^(rediss?|unix|rediss?\+cluster)://", value, re.IGNORECASE):
                raise ValueError(
                    "must start with redis://, rediss:// or unix:// (one server), "
                    "or redis+cluster:// or rediss+cluster:// (a Redis Cluster)"
                )
        return value

    @field_validator("feeds")
    @classmethod
    def _feeds_exists(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("synonyms")
    @classmethod
    def _synonyms(cls, value: str) -> str:
        value = value.strip() or "default"
        if value.casefold() in ("default", "none"):
            return value.casefold()
        if not Path(value).is_file():
            raise ValueError(f"no such file: {value} (or use 'default' or 'none')")
        return value

    @field_validator("admins", "allowlist", mode="before")
    @classmethod
    def _admins(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            for part in parts:
                if not re.fullmatch(r"-?\d+", part):
                    raise ValueError(
                        f"{part!r} is not a Telegram user id (comma-separated numbers)"
                    )
            return frozenset(int(p) for p in parts)
        return value

    @model_validator(mode="after")
    def _feed_bounds(self) -> Settings:
        # A poll's entries must all fit among the kept ones, or an entry still in the feed
        # would lose its seen marker and come back as new on the next poll.
        if self.max_items_per_poll > self.max_items_per_feed:
            raise ValueError(
                "ALERTBOT_MAX_ITEMS_PER_POLL must not exceed ALERTBOT_MAX_ITEMS_PER_FEED"
            )
        return self

    @property
    def bot_api_base_url(self) -> str:
        """The base URL python-telegram-bot puts the token after."""
        return f"{self.telegram_api_url}/bot"

    @property
    def bot_api_file_url(self) -> str:
        """The base URL for file downloads, token appended by python-telegram-bot."""
        return f"{self.telegram_api_url}/file/bot"

    @property
    def retention_seconds(self) -> int:
        """How long seen-item markers and stored items live in Redis."""
        return int(self.retention_days * 86_400)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; any validation failure becomes one ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming the first bad variable and why (never its value: it may be secret)."""
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    if not first["loc"]:  # a rule between settings: its message names them
        return f"invalid settings: {message}{extra}"
    field = str(first["loc"][0])
    return f"invalid setting {ENV_PREFIX}{field.upper()}: {message}{extra}"
