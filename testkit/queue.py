"""Reading what the poller queued, for tests."""

from __future__ import annotations

from bot.core.models import Delivery
from bot.store import Store, keys


async def queued(store: Store, reader: str = "test-reader") -> list[Delivery]:
    """Every delivery queued since this reader last looked, shard by shard in queue order."""
    await store.deliveries.ensure_groups()
    entries = await store.deliveries.read(list(range(keys.SHARDS)), reader, 100_000, None)
    return [entry.delivery for entry in entries]
