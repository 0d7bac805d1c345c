"""Settings: environment variables, .env, and one clear line for each invalid value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.errors import ConfigError
from config.settings import DEFAULT_CATALOG, Settings, load_settings

ALL_VARS = (
    "TELEGRAM_TOKEN", "TELEGRAM_API_URL", "REDIS_URL", "FEEDS", "POLL_INTERVAL", "ADMINS",
    "DATA_DIR", "LOG_LEVEL", "RETENTION_DAYS", "MAX_RULES", "FETCH_CONCURRENCY", "HTTP_TIMEOUT",
    "MAX_RULE_CHARS", "MAX_RULE_TERMS", "SYNONYMS", "CONNECT_TIMEOUT", "MAX_FEED_BYTES",
    "MAX_ITEM_AGE", "MIN_POLL_INTERVAL", "MAX_BACKOFF", "ALLOW_PRIVATE_FEEDS",
    "SENDER_CONCURRENCY", "SEND_RATE", "STREAM_MAXLEN", "MAX_DELIVERY_ATTEMPTS",
    "MAX_ITEMS_PER_POLL", "MAX_ITEMS_PER_FEED",
)  # fmt: skip


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts without ALERTBOT_ variables and in a folder without a .env file."""
    for name in ALL_VARS:
        monkeypatch.delenv(f"ALERTBOT_{name}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    """With nothing set, the bot has no token, no Redis URL and the bundled catalog."""
    settings = load_settings()
    assert settings.telegram_token is None
    assert settings.redis_url is None
    assert settings.feeds == DEFAULT_CATALOG
    assert settings.feeds.is_file()
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.bot_api_base_url == "https://api.telegram.org/bot"
    assert settings.admins == frozenset()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ADMINS", "12, 34 56", frozenset({12, 34, 56})),
        ("ADMINS", "", frozenset()),
        ("TELEGRAM_API_URL", "http://127.0.0.1:8081/", "http://127.0.0.1:8081"),
        ("TELEGRAM_API_URL", "http://localhost:8081/bot", "http://localhost:8081"),
        ("REDIS_URL", "redis://localhost:6379/2", "redis://localhost:6379/2"),
        ("REDIS_URL", "  ", None),
        ("REDIS_URL", "unix:///run/redis.sock", "unix:///run/redis.sock"),
        ("REDIS_URL", "redis+cluster://node1:7000", "redis+cluster://node1:7000"),
        ("REDIS_URL", "rediss+cluster://:pw@node1:7000", "rediss+cluster://:pw@node1:7000"),
        ("POLL_INTERVAL", "2.5", 2.5),
        ("LOG_LEVEL", "DEBUG", "DEBUG"),
        ("TELEGRAM_TOKEN", "", None),
        ("SYNONYMS", "NONE", "none"),
        ("SYNONYMS", "", "default"),
    ],
)
def test_valid_values(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: object
) -> None:
    """Each variable accepts the forms an operator would write."""
    monkeypatch.setenv(f"ALERTBOT_{variable}", value)
    assert getattr(load_settings(), variable.lower()) == expected


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("POLL_INTERVAL", "soon", "valid number"),
        ("POLL_INTERVAL", "0", "greater than or equal to 1"),
        ("ADMINS", "12,bob", "'bob' is not a Telegram user id"),
        ("TELEGRAM_API_URL", "api.telegram.org", "http(s) URL"),
        ("REDIS_URL", "localhost:6379", "redis://"),
        ("REDIS_URL", "cluster://node1:7000", "redis+cluster://"),
        ("FEEDS", "/nonexistent/feeds.toml", "no such file"),
        ("TELEGRAM_TOKEN", "not a token", "not a bot token"),
        ("LOG_LEVEL", "LOUD", "DEBUG"),
        ("MAX_RULES", "0", "greater than or equal to 1"),
        ("SYNONYMS", "/nonexistent/syn.txt", "no such file"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    """An invalid value fails with one line that names the variable and says why."""
    monkeypatch.setenv(f"ALERTBOT_{variable}", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"invalid setting ALERTBOT_{variable}: ")
    assert reason in message


def test_what_one_feed_stores_is_bounded_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """A poll reads 200 entries and a feed keeps 1000 items unless set, and a poll never more."""
    settings = load_settings()
    assert (settings.max_items_per_poll, settings.max_items_per_feed) == (200, 1000)
    monkeypatch.setenv("ALERTBOT_MAX_ITEMS_PER_POLL", "500")
    monkeypatch.setenv("ALERTBOT_MAX_ITEMS_PER_FEED", "400")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "invalid settings: ALERTBOT_MAX_ITEMS_PER_POLL must not exceed ALERTBOT_MAX_ITEMS_PER_FEED"
    )


def test_token_never_in_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed token is reported without echoing it."""
    monkeypatch.setenv("ALERTBOT_TELEGRAM_TOKEN", "12345:hunter2 oops")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "hunter2" not in str(caught.value)


def test_dotenv_file(tmp_path: Path) -> None:
    """Settings are read from a .env file in the working directory; the token stays secret."""
    (tmp_path / ".env").write_text(
        "ALERTBOT_TELEGRAM_TOKEN=123:abc_DEF-ghi\nALERTBOT_POLL_INTERVAL=30\n", encoding="utf-8"
    )
    settings = load_settings()
    assert settings.poll_interval == 30
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "123:abc_DEF-ghi"
    assert "abc_DEF" not in repr(settings)


def test_env_example_documents_every_setting() -> None:
    """Every setting appears in .env.example, and nothing there is unknown."""
    example = (Path(__file__).parents[1] / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?ALERTBOT_([A-Z_]+)=", example, flags=re.MULTILINE))
    documented.discard("REDIS_SERVER")  # read by the embedded-server launcher, not Settings
    assert documented == {name.upper() for name in Settings.model_fields}
