"""alertbot: breaking-news alerts from RSS/Atom feeds to Telegram chats."""

__version__ = "0.1.0"
