"""Composition root: builds everything from Settings, runs the roles, shuts down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import signal
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from telegram import Bot, BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError
from telegram.ext import Application, Defaults
from telegram.request import HTTPXRequest

from bot.core.models import FeedPreview
from bot.core.places import gazetteer
from bot.core.rules import RuleCompiler, RuleLimits
from bot.core.schedule import Cadence
from bot.core.synonyms import Synonyms
from bot.delivery.limiter import ChatRateLimiter
from bot.delivery.pacing import SendLimits
from bot.delivery.sender import Sender
from bot.delivery.transport import TelegramTransport
from bot.errors import ConfigError, TelegramSetupError
from bot.feeds.catalog import load_catalog
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import AddressPolicy
from bot.health import HealthThresholds, TelegramLink
from bot.health import check as check_health
from bot.health import serve as serve_health
from bot.logs import redact
from bot.poller import Poller
from bot.store import Store, open_redis
from bot.store.connection import REDIS_ERRORS, Client
from bot.store.counters import Event
from bot.store.ratelimit import bot_bucket
from config.settings import Settings
from handlers.common import CONTEXT_TYPES, BotApplication, Services
from handlers.fallback import on_error
from handlers.table import build_gate, build_handlers, menus

log = logging.getLogger(__name__)

START_ATTEMPTS = 4  # about 7 s of retries before start_bot gives up (tests, the demo)
TOKEN_REJECTED = (
    "Telegram rejected the bot token (ALERTBOT_TELEGRAM_TOKEN): check it with @BotFather"
)
DEFAULT_SYNONYMS = Path(str(files("config") / "synonyms.txt"))
MAX_START_DELAY = 60.0  # seconds between tries to reach Telegram, at most, for a running role


def load_synonyms(choice: str | Path) -> Synonyms:
    """'default' (the bundled file), 'none', or a file path."""
    if isinstance(choice, str) and choice == "none":
        return Synonyms.empty()
    if isinstance(choice, str) and choice == "default":
        return _default_synonyms()
    return Synonyms.load(Path(choice))


@functools.cache
def _default_synonyms() -> Synonyms:
    """The bundled file, read and analysed once per process (~20 ms); Synonyms never changes."""
    return Synonyms.load(DEFAULT_SYNONYMS)


def compiler_for(settings: Settings) -> RuleCompiler:
    """A rule compiler with the configured synonyms and limits, and places' names."""
    limits = RuleLimits(max_chars=settings.max_rule_chars, max_terms=settings.max_rule_terms)
    return RuleCompiler(load_synonyms(settings.synonyms), limits, places=gazetteer())


def build_application(
    settings: Settings,
    store: Store,
    compiler: RuleCompiler,
    probe: Callable[[str], Awaitable[FeedPreview]],
) -> BotApplication:
    """The python-telegram-bot Application with our handlers, defaults and rate limiter.

    Its bot answers commands; alerts go through a bot of their own (`make_sender`), so a chat
    that Telegram holds after a 429 holds neither the others' replies nor any alert.
    """
    if settings.telegram_token is None:
        raise ConfigError(
            "ALERTBOT_TELEGRAM_TOKEN is not set (run `alertbot demo` for a local demo)"
        )
    application = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # PTB's own defaults (256 connections; one for the long poll), with the shared TLS context.
        .request(HTTPXRequest(connection_pool_size=256, httpx_kwargs=_tls()))
        .get_updates_request(HTTPXRequest(connection_pool_size=1, httpx_kwargs=_tls()))
        .rate_limiter(ChatRateLimiter(_counter(store), slot=_bot_slot(store, settings)))
        .context_types(CONTEXT_TYPES)  # handlers get a typed context with the services
        .build()
    )
    application.bot_data.services = Services(
        store=store, settings=settings, compiler=compiler, probe=probe
    )
    application.add_handler(build_gate(), group=-1)
    application.add_handlers(build_handlers())
    application.add_error_handler(on_error)
    return application


def _counter(store: Store) -> Callable[[str], Awaitable[None]]:
    """Count what Telegram answered command replies (429s and retries) for /stats."""
    events = {"flood": Event.FLOODS, "retried": Event.SEND_RETRIES}

    async def count(outcome: str) -> None:
        with contextlib.suppress(*REDIS_ERRORS):  # a count lost beats a reply lost
            await store.counters.add(events[outcome])

    return count


def _bot_slot(store: Store, settings: Settings) -> Callable[[], Awaitable[float]]:
    """Book a slot of the bot-wide limit the senders share, for a command reply."""
    limiter = store.limiter
    interval = 1 / settings.send_rate

    async def book() -> float:
        try:
            return await limiter.reserve(bot_bucket(), interval)
        except REDIS_ERRORS:  # without Redis there are no alerts to share the limit with
            return 0.0

    return book


async def run(settings: Settings, role: str = "all") -> None:
    """Run one role (or all of them) until SIGINT or SIGTERM.

    `poller` polls feeds and queues alerts, `sender` sends them, `bot` answers commands; any
    number of pollers and senders may run against one Redis, and one bot. Without a Redis URL,
    a single role joins the embedded server of an `alertbot run` on the same data dir.
    """
    # A bad catalog or synonyms file fails here, before anything is started.
    catalog = load_catalog(settings.feeds)
    compiler = compiler_for(settings)
    async with open_redis(settings.redis_url, settings.data_dir, attach=role != "all") as handle:
        store = make_store(settings, handle.client)
        if role in ("all", "poller"):
            feeds = await store.seed_catalog(catalog, time.time())
            log.info("%d feeds in the catalog", len(feeds))
        await store.deliveries.ensure_groups()
        fetcher = make_fetcher(settings)
        poller = make_poller(settings, store, fetcher, compiler)
        stop = _stop_on_signals()
        application: BotApplication | None = None
        sender_bot: Bot | None = None
        # Telegram out of reach at start is an outage like any other: the roles that need it
        # wait for it with backoff, the others work meanwhile, and /healthz names it.
        link = TelegramLink()
        try:
            if role in ("all", "bot"):
                application = build_application(settings, store, compiler, poller.probe)
            if role in ("all", "sender"):
                # Not the application's bot: alerts keep their own limits (see build_application).
                sender_bot = telegram_bot(settings)
            first = application.bot if application is not None else sender_bot
            if first is not None:
                await _check_token(first, link)
            jobs: list[Coroutine[Any, Any, None]] = []
            if application is not None:
                jobs.append(_serve_bot(application, webhook_options(settings), link, stop))
            if role in ("all", "poller"):
                jobs.append(poller.run(stop))
            if sender_bot is not None:
                jobs.append(_send(make_sender(settings, store, sender_bot), sender_bot, link, stop))
            if settings.metrics_port is not None:
                thresholds = HealthThresholds(
                    settings.health_max_poll_age, settings.health_max_sender_lag
                )
                jobs.append(
                    serve_health(
                        settings.metrics_host,
                        settings.metrics_port,
                        lambda: check_health(store, role, thresholds, link),
                        stop,
                    )
                )
            log.info("running as %s", role)
            await _run_until_stopped(stop, *jobs)
        finally:
            if application is not None:
                await stop_bot(application)
            if sender_bot is not None:
                await sender_bot.shutdown()
            await fetcher.aclose()
    log.info("stopped")


def make_store(settings: Settings, client: Client) -> Store:
    """The repositories the settings describe."""
    return Store(
        client,
        retention_seconds=settings.retention_seconds,
        stream_maxlen=settings.stream_maxlen,
        keep_per_feed=settings.max_items_per_feed,
    )


def telegram_bot(settings: Settings) -> Bot:
    """A python-telegram-bot Bot for the Bot API server of the settings (sender role)."""
    if settings.telegram_token is None:
        raise ConfigError(
            "ALERTBOT_TELEGRAM_TOKEN is not set (run `alertbot demo` for a local demo)"
        )
    return Bot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.bot_api_base_url,
        base_file_url=settings.bot_api_file_url,
        request=HTTPXRequest(httpx_kwargs=_tls()),
        get_updates_request=HTTPXRequest(httpx_kwargs=_tls()),
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for the process's Bot API clients, as httpx would make it.

    httpx loads the CA bundle again for every client (~30 ms each); an Application has two.
    """
    return httpx.create_ssl_context()


def _tls() -> dict[str, Any]:
    return {"verify": _tls_context()}


def make_sender(settings: Settings, store: Store, bot: Bot) -> Sender:
    """The sender the settings describe."""
    return Sender(
        store,
        TelegramTransport(bot, link_preview=settings.link_preview),
        concurrency=settings.sender_concurrency,
        limits=SendLimits(per_second=settings.send_rate),
        max_attempts=settings.max_delivery_attempts,
    )


def make_fetcher(settings: Settings, policy: AddressPolicy | None = None) -> Fetcher:
    """The feed fetcher the settings describe."""
    return Fetcher(
        timeout=settings.http_timeout,
        connect_timeout=settings.connect_timeout,
        max_bytes=settings.max_feed_bytes,
        policy=policy or AddressPolicy(allow_private=settings.allow_private_feeds),
        max_connections=max(10, settings.fetch_concurrency * 2),
    )


def make_poller(
    settings: Settings, store: Store, fetcher: Fetcher, compiler: RuleCompiler
) -> Poller:
    """The poller the settings describe."""
    return Poller(
        store,
        fetcher,
        compiler,
        cadence=Cadence(
            interval=settings.poll_interval,
            minimum=min(settings.min_poll_interval, settings.poll_interval),
            maximum=settings.max_backoff,
        ),
        concurrency=settings.fetch_concurrency,
        max_item_age=timedelta(hours=settings.max_item_age),
        lease_seconds=settings.http_timeout,
        max_items_per_poll=settings.max_items_per_poll,
        burst_limit=settings.burst_limit,
    )


def webhook_options(settings: Settings) -> dict[str, Any] | None:
    """python-telegram-bot's start_webhook arguments, or None to poll for updates."""
    if not settings.webhook_url:
        return None
    path = urlsplit(settings.webhook_url).path.lstrip("/")
    secret = (
        settings.webhook_secret.get_secret_value()
        if settings.webhook_secret
        else secrets.token_urlsafe(32)
    )
    redact(secret)  # setWebhook's parameters, logged at DEBUG, carry it
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": path,
        "webhook_url": settings.webhook_url,
        "secret_token": secret,
    }


async def _serve_bot(
    application: BotApplication,
    webhook: dict[str, Any] | None,
    link: TelegramLink,
    stop: asyncio.Event,
) -> None:
    """The bot role: answer commands from the time Telegram is reached until `stop` is set."""
    await start_bot(application, webhook, link=link, attempts=None)
    log.info("bot @%s answering commands", application.bot.username)
    await stop.wait()


async def _send(sender: Sender, bot: Bot, link: TelegramLink, stop: asyncio.Event) -> None:
    """The sender role: send alerts from the time Telegram is reached until `stop` is set."""
    await _reach(bot.initialize, link, attempts=None)
    await sender.run(stop)


async def start_bot(
    application: BotApplication,
    webhook: dict[str, Any] | None = None,
    *,
    link: TelegramLink | None = None,
    attempts: int | None = START_ATTEMPTS,
    **polling: Any,
) -> None:
    """Check the token, register the command menu, start receiving and handling updates.

    Updates come by long polling, or through a webhook when `webhook` gives its options. While
    Telegram cannot be reached the start is tried again with backoff, `attempts` times in all
    (None: until it is reached).
    """
    await _reach(lambda: _start(application, webhook, polling), link, attempts)


async def _start(
    application: BotApplication,
    webhook: dict[str, Any] | None,
    polling: dict[str, Any],
) -> None:
    await application.initialize()
    await _register_menus(application)
    assert application.updater is not None
    if webhook is not None:
        await application.updater.start_webhook(**webhook)
        log.info("receiving updates at %s", webhook["webhook_url"])
    else:
        await application.updater.start_polling(**polling)
    await application.start()


async def _register_menus(application: BotApplication) -> None:
    """Register the command menu: everyone's, and in each admin's chat the admin commands too."""
    bot = application.bot
    for language, commands in menus().items():
        await bot.set_my_commands(commands, language_code=language)
    for admin in sorted(application.bot_data.services.settings.admins):
        try:
            for language, commands in menus(admin=True).items():
                await bot.set_my_commands(
                    commands, scope=BotCommandScopeChat(admin), language_code=language
                )
        except (BadRequest, Forbidden) as exc:  # never opened a chat with the bot, or blocked it
            log.warning("no admin command menu for %s: %s", admin, exc.message)


async def stop_bot(application: BotApplication) -> None:
    """Stop receiving, finish handlers in flight, release the HTTP clients."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


async def _check_token(bot: Bot, link: TelegramLink) -> None:
    """End the start at once on a token Telegram rejects; Telegram out of reach is for the roles.

    Nothing has started yet, so a wrong token ends the process with one line.
    """
    try:
        await bot.initialize()  # getMe
    except InvalidToken:
        raise TelegramSetupError(TOKEN_REJECTED) from None
    except NetworkError as exc:
        link.failed(exc.message)  # the bot and sender roles wait for it
    else:
        link.reached()


async def _reach(
    call: Callable[[], Awaitable[object]], link: TelegramLink | None, attempts: int | None
) -> None:
    """Make a first call to Telegram, retrying with backoff while it cannot be reached.

    `attempts` calls at most (None: until one succeeds); `link` hears of each outcome. A token
    Telegram rejects fails at once: no retry mends it.
    """
    delay = 1.0
    attempt = 0
    while True:
        attempt += 1
        try:
            await call()
        except InvalidToken:
            raise TelegramSetupError(TOKEN_REJECTED) from None
        except NetworkError as exc:
            if link is not None:
                link.failed(exc.message)
            if attempts is not None and attempt >= attempts:
                raise TelegramSetupError(f"cannot reach Telegram: {exc.message}") from None
            log.warning("cannot reach Telegram (%s); retrying in %.0f s", exc.message, delay)
            await asyncio.sleep(delay)
            delay = min(MAX_START_DELAY, delay * 2)
        else:
            if link is not None:
                link.reached()
            return


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    return stop


async def _run_until_stopped(stop: asyncio.Event, *jobs: Coroutine[Any, Any, None]) -> None:
    """Run the role loops until `stop` is set; a crashed loop stops the others and is raised."""
    tasks = [asyncio.create_task(job) for job in jobs]
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, stopper, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            raise result
