"""The error tree: every error alertbot raises on purpose derives from AlertbotError.

Each is defined here, once; a caller catches a branch (every FeedError, every DeliveryError) or
one leaf. The tree, with when each is raised (tests/test_errors.py checks it against the code):

* AlertbotError: base of them all; its message is fit to show a user or an operator.
  * ConfigError: a setting (ALERTBOT_*) or a configuration file is invalid or missing.
    * CatalogError: a feed catalog (file, import or export) cannot be read, written or used.
      * OpmlError: an OPML import is not XML, not OPML, or carries a DTD.
    * SynonymsError: the synonyms file cannot be read or has a group of fewer than two members.
  * StoreError: Redis cannot be reached, or the embedded server cannot be started.
  * TelegramSetupError: Telegram refused the bot's token at start, or cannot be reached.
  * FeedError: a feed could not be fetched or parsed; recorded on the feed, retried later.
    * FeedGone: the server answered 410 Gone; the feed is disabled.
    * UnsafeURL: a feed URL is refused (bad syntax, or a non-public address).
      * InvalidAddress: a feed URL that is no web address at all (no host, unparsable).
  * RuleError: a watch rule is refused: too many characters or words.
    * RuleSyntaxError: a rule does not parse; says the line and column.
      * RuleTooDeep: a rule nests parentheses, NOT, fields or NEAR past the bound.
  * JSONTooDeep: a JSON document from outside nests past the bound (bot/jsondepth.py).
  * InputError: an input file of an offline tool (`alertbot match`, `alertbot stories`) is bad.
  * DeliveryError: Telegram did not take a message as sent; the subclass says what to do.
    * ChatGone: the chat is gone for the bot (blocked, kicked, deleted): stop sending.
    * ChatMoved: a group became a supergroup: send to `new_chat_id` instead.
    * RetryLater: a flood limit, a network failure or a 5xx: send again after `delay`.
    * Rejected: Telegram refused this message for good (e.g. bad markup): drop it.

Outside the tree, on purpose: ValueError and TypeError for a caller's bad argument (a bug, as in
Python's own functions), and the ValueError of pydantic validators (pydantic wants one and turns
it into a ValidationError, which the reader of a file or setting reports as one of the above).
"""

from __future__ import annotations

from typing import Literal

# What a FeedError's `kind` can be: the label of the fetch errors metric.
FeedErrorKind = Literal[
    "timeout",  # the server did not answer in time
    "network",  # the connection failed (DNS, refused, reset, TLS)
    "http",  # an HTTP error status
    "too_large",  # the body passed the size bound
    "decoding",  # an unknown or broken content encoding
    "redirects",  # too many redirects
    "refused",  # an unsafe URL (UnsafeURL)
    "gone",  # 410 Gone (FeedGone)
    "parse",  # not a feed: not XML, RSS, Atom or JSON Feed
    "other",  # anything else, a bug included
]


class AlertbotError(Exception):
    """Base of alertbot's own errors; its message is fit to show a user or an operator."""


class ConfigError(AlertbotError):
    """A setting or a configuration file is invalid."""


class CatalogError(ConfigError):
    """The feed catalog file cannot be read or does not describe valid feeds."""


class OpmlError(CatalogError):
    """An OPML document is refused: not XML, not OPML, or carrying a DTD."""


class SynonymsError(ConfigError):
    """A synonyms file cannot be read or has a malformed line."""


class StoreError(AlertbotError):
    """Redis cannot be reached or started."""


class TelegramSetupError(AlertbotError):
    """Telegram refused the bot at start (wrong token) or cannot be reached."""


class FeedError(AlertbotError):
    """A feed could not be fetched or parsed; recorded on the feed and retried later.

    `kind` names the failure for metrics (FeedErrorKind).
    """

    kind: FeedErrorKind = "other"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        kind: FeedErrorKind | None = None,
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


class RuleSyntaxError(RuleError):
    """A rule that does not parse; says the line, the column and what was expected."""

    def __init__(self, column: int, message: str, line: int = 1) -> None:
        """Keep where the problem is, for messages and for the CLI's line numbers."""
        self.line = line
        self.column = column
        self.reason = message
        super().__init__(f"line {line}, col {column}: {message}")

    def on_line(self, line: int) -> RuleSyntaxError:
        """The same error, placed on line `line` of a rules file."""
        return RuleSyntaxError(self.column, self.reason, line)


class RuleTooDeep(RuleSyntaxError):
    """A rule nested deeper than the bound; `column` is where the level past it starts."""

    def __init__(self, column: int, limit: int, line: int = 1) -> None:
        """Keep the bound, for a message in the reader's language."""
        self.limit = limit
        super().__init__(
            column,
            f"the rule is nested more than {limit} levels deep (parentheses, NOT, title:, "
            "NEAR): write it with fewer levels",
            line,
        )

    def on_line(self, line: int) -> RuleTooDeep:
        """The same error, placed on line `line` of a rules file."""
        return RuleTooDeep(self.column, self.limit, line)


class JSONTooDeep(AlertbotError):
    """A JSON document nested deeper than the bound."""

    def __init__(self, limit: int) -> None:
        """Keep the bound for the message."""
        self.limit = limit
        super().__init__(f"nested more than {limit} levels deep")


class InputError(AlertbotError):
    """An input file of an offline tool that cannot be used; the message names file and line."""


class DeliveryError(AlertbotError):
    """Telegram did not take a message as sent; the subclass says what the sender does next."""


class ChatGone(DeliveryError):
    """Telegram will not deliver to this chat any more (blocked, kicked, deleted)."""


class ChatMoved(DeliveryError):
    """A group became a supergroup: the chat lives on under `new_chat_id`."""

    def __init__(self, new_chat_id: int) -> None:
        """Keep the new id."""
        super().__init__(f"group moved to chat {new_chat_id}")
        self.new_chat_id = new_chat_id


class RetryLater(DeliveryError):
    """Telegram did not take the message now; try again after `delay` seconds.

    `flood` is Telegram's own "too many requests" (429): the delay is what it asked for, and
    it concerns this chat. Otherwise the network or Telegram failed (timeouts, 5xx).
    """

    def __init__(self, reason: str, delay: float, *, flood: bool = False) -> None:
        """Keep the reason for logs and the delay for the retry."""
        super().__init__(reason)
        self.delay = delay
        self.flood = flood


class Rejected(DeliveryError):
    """Telegram refused this message for good (e.g. bad markup); retrying will not help."""
