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
    """A feed could not be fetched or parsed; recorded on the feed and retried later.

    `kind` names the failure for metrics: timeout, network, http, too_large, decoding,
    redirects, refused (an unsafe address), gone, parse, or other.
    """

    kind = "other"

    def __init__(
        self, message: str, *, retry_after: float | None = None, kind: str | None = None
    ) -> None:
        """Keep the server's Retry-After (seconds), when it sent one, and the kind."""
        super().__init__(message)
        self.retry_after = retry_after
        if kind is not None:
            self.kind = kind


class FeedGone(FeedError):
    """The server says the feed is gone for good (410): the feed is disabled."""

    kind = "gone"


class UnsafeURL(FeedError):
    """A feed URL is refused: bad syntax, or it leads to a non-public address (feeds/guard.py)."""

    kind = "refused"


class InvalidAddress(UnsafeURL):
    """A feed URL that is no web address at all: httpx cannot parse it, or it has no host."""

    def __init__(self, url: str, detail: str) -> None:
        """Keep what is wrong with it (httpx's words), for a reply in the admin's language."""
        self.url = url
        self.detail = detail
        super().__init__(f"{url}: not a valid address ({detail})")


class RuleError(AlertbotError):
    """A watch rule is invalid; the message says where and why."""


class TelegramSetupError(AlertbotError):
    """Telegram refused the bot at start (wrong token) or cannot be reached."""
