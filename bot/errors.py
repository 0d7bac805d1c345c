"""The error tree: every error alertbot raises on purpose derives from AlertbotError."""


class AlertbotError(Exception):
    """Base of alertbot's own errors; its message is fit to show a user or an operator."""


class ConfigError(AlertbotError):
    """A setting or a configuration file is invalid."""


class CatalogError(ConfigError):
    """The feed catalog file cannot be read or does not describe valid feeds."""


class StoreError(AlertbotError):
    """Redis cannot be reached or started."""


class FeedError(AlertbotError):
    """A feed could not be fetched or parsed; recorded on the feed and retried later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Keep the server's Retry-After (seconds), when it sent one."""
        super().__init__(message)
        self.retry_after = retry_after


class FeedGone(FeedError):
    """The server says the feed is gone for good (410): the feed is disabled."""


class RuleError(AlertbotError):
    """A watch rule is invalid; the message says where and why."""


class TelegramSetupError(AlertbotError):
    """Telegram refused the bot at start (wrong token) or cannot be reached."""
