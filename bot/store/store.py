"""The Store: every repository over one Redis client."""

from __future__ import annotations

from bot.core.models import Feed
from bot.store.catalog import CatalogRepo
from bot.store.chats import ChatRepo
from bot.store.connection import Client
from bot.store.counters import Counters
from bot.store.deliveries import DeliveryQueue
from bot.store.feedstate import FeedStateRepo
from bot.store.held import HeldRepo
from bot.store.items import ItemRepo
from bot.store.ratelimit import RateLimiter
from bot.store.schedule import ScheduleRepo
from bot.store.senders import SenderRegistry
from bot.store.stories import StoryRepo


class Store:
    """Repositories: catalog, chats, feeds, items, stories, schedule, deliveries, held alerts."""

    def __init__(
        self,
        client: Client,
        *,
        retention_seconds: int,
        stream_maxlen: int = 1_000_000,
        keep_per_feed: int = 1_000,
    ) -> None:
        """Build every repository on `client`."""
        self.redis = client
        self.catalog = CatalogRepo(client)
        self.chats = ChatRepo(client)
        self.feeds = FeedStateRepo(client)
        self.items = ItemRepo(client, retention_seconds, keep_per_feed)
        self.deliveries = DeliveryQueue(client, maxlen=stream_maxlen)
        self.schedule = ScheduleRepo(client)
        self.counters = Counters(client)
        self.senders = SenderRegistry(client)
        self.stories = StoryRepo(client)
        self.held = HeldRepo(client)
        self.limiter = RateLimiter(client)

    async def seed_catalog(self, from_file: list[Feed], now: float) -> list[Feed]:
        """Bring the catalog file in and put every enabled feed on the poll schedule."""
        await self.catalog.adopt_legacy_names()
        feeds = await self.catalog.seed(from_file)
        states = await self.feeds.many([feed.id for feed in feeds])
        await self.schedule.ensure([f.id for f in feeds if not states[f.id].disabled], now)
        listed = {feed.id for feed in feeds}
        for feed_id in await self.schedule.scheduled():
            if feed_id not in listed:
                await self.schedule.remove(feed_id)
        return feeds
