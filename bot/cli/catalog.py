"""`alertbot feeds import FILE.opml` and `alertbot feeds export`: the catalog as OPML 2.0."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import BinaryIO

from bot.errors import CatalogError
from bot.feeds.catalog import load_catalog
from bot.feeds.opml import parse_opml_report, to_opml
from bot.store import Store, open_redis
from config.settings import Settings


def read_file(path: Path) -> bytes:
    """The bytes of a file to import, or a CatalogError naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror}") from None


async def import_opml(settings: Settings, data: bytes, path: Path) -> list[str]:
    """Add an OPML file's feeds to the catalog (and the poll schedule); return report lines."""
    async with open_redis(settings.redis_url, settings.data_dir, attach=True) as handle:
        store = Store(handle.client, retention_seconds=settings.retention_seconds)
        catalog = await store.seed_catalog(load_catalog(settings.feeds), time.time())
        feeds, skipped = parse_opml_report(data, existing_ids={f.id for f in catalog})
        known = {f.url.rstrip("/"): f for f in catalog}
        added = [feed for feed in feeds if feed.url.rstrip("/") not in known]
        for feed in added:
            await store.catalog.add(feed)
            await store.feeds.enable(feed.id)
        await store.schedule.ensure([feed.id for feed in added], time.time())
    report = [f"imported {len(added)} feed(s) from {path}"]
    report += [f"  + {feed.id}: {feed.name} <{feed.url}>" for feed in added]
    already = [feed for feed in feeds if feed not in added]
    report += [
        f"  = already in the catalog: {known[f.url.rstrip('/')].id} <{f.url}>" for f in already
    ]
    report += [f"  - skipped {reason}" for reason in skipped]
    return report


async def export_opml(settings: Settings, out: BinaryIO | None = None) -> int:
    """Write the catalog as OPML 2.0 (to stdout by default); return the number of feeds."""
    async with open_redis(settings.redis_url, settings.data_dir, attach=True) as handle:
        store = Store(handle.client, retention_seconds=settings.retention_seconds)
        feeds = await store.seed_catalog(load_catalog(settings.feeds), time.time())
    (out or sys.stdout.buffer).write(to_opml(feeds))
    return len(feeds)
