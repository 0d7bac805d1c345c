"""Logging: one line (text or JSON) per record on stderr, secrets redacted, libraries quieted."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

# Ids a log call may pass as `extra` so JSON logs can be filtered by them.
CONTEXT_FIELDS = ("feed_id", "chat_id")


class RedactSecrets(logging.Filter):
    """Replaces every occurrence of a secret (bot token, webhook secret) in a record's message."""

    def __init__(self, secrets: Iterable[str]) -> None:
        """Redact these strings (empty ones are ignored)."""
        super().__init__()
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Redact `secret` too from now on (empty strings and repeats are ignored)."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and traceback without the secrets; never drops one."""
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # An exception's text can hold a URL with the token: formatted once, redacted.
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def redact(secret: str) -> None:
    """Redact `secret` from every log line from now on, for secrets made after logging started.

    python-telegram-bot logs each Bot API call's parameters at DEBUG: setWebhook's carry the
    webhook's secret token, which is generated at start when no setting gives one.
    """
    for handler in logging.getLogger().handlers:
        for installed in handler.filters:
            if isinstance(installed, RedactSecrets):
                installed.add(secret)


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and the ids it concerns."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (feed_id and chat_id when the call gave them as extra)."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, secrets: Iterable[str] = (), *, json_lines: bool = False) -> None:
    """Log to stderr at `level`; HTTP client request lines (which carry the token) stay quiet."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLines()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "telegram.ext.Updater", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # python-telegram-bot logs a traceback for every 5xx page it cannot parse; the sender
    # already reports each failed send in one line.
    logging.getLogger("telegram.request").setLevel(logging.CRITICAL)
