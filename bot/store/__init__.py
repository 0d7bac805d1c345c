"""Redis: key names, the embedded server, and the repositories every role works through."""

from bot.store.connection import RedisHandle, open_redis
from bot.store.store import Store

__all__ = ["RedisHandle", "Store", "open_redis"]
