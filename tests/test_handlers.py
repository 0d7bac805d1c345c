"""The Telegram commands, through python-telegram-bot's real HTTP stack and the Bot API emulator."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram.ext import Application, CommandHandler

from bot.app import build_application, compiler_for, make_fetcher, make_poller, start_bot, stop_bot
from bot.core.models import Delivery, Feed, Item
from bot.core.rules import MAX_RULE_DEPTH
from bot.demo.feedserver import FeedServer
from bot.i18n import CATALOGS, FSI, LRM, PDI, text
from bot.store import Store, keys
from bot.store.connection import make_client
from bot.store.counters import Event
from bot.store.embedded import EmbeddedRedis
from config.settings import Settings
from handlers.common import Access, split_message
from handlers.table import (
    COMMANDS,
    README,
    README_END,
    README_START,
    Command,
    build_handlers,
    help_text,
    in_menu,
    readme_table,
)
from testkit.botapi import ApiError, BotApiEmulator
from testkit.chat import ask
from testkit.feeds import Entry, rss

CHAT = 42
ADMIN = 900
MENU = [c.name for c in in_menu()]
ADMIN_MENU = [c.name for c in in_menu(admin=True)]
FEEDS = [
    Feed(id="wire", name="Levant Wire", url="https://wire.example/rss"),
    Feed(id="bbc-world", name="BBC World", url="https://bbc.example/rss"),
    Feed(id="arabi", name="عربي بوست", url="https://arabi.example/rss"),
]


@pytest.fixture(params=[True], ids=["private-feeds-allowed"])
async def bot(
    store: Store, emu: BotApiEmulator, request: pytest.FixtureRequest
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The bot's Application, polling the emulator, with a three-feed catalog."""
    async with running_bot(
        store,
        emu,
        max_rules=3,
        allow_private_feeds=request.param,
        command_burst=1000,  # tests type faster than people; the limit has its own test
    ) as application:
        yield application


@contextlib.asynccontextmanager
async def running_bot(
    store: Store, emu: BotApiEmulator, **settings: Any
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """An Application with these settings (and ADMIN as admin) polling the emulator."""
    await store.catalog.replace(FEEDS)
    configured = Settings(
        telegram_token=emu.token,
        telegram_api_url=emu.base_url,
        admins=frozenset({ADMIN}),
        **settings,
    )
    if "send_rate" not in settings:
        # Replies are spaced by the bot-wide limit (35 ms at 28.5 a second), and these tests
        # ask one question after another; the limit has its own tests (test_limiter, e2e).
        configured = configured.model_copy(update={"send_rate": 1000.0})
    compiler = compiler_for(configured)
    fetcher = make_fetcher(configured)
    poller = make_poller(configured, store, fetcher, compiler)
    application = build_application(configured, store, compiler, poller.probe)
    await start_bot(application, poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await stop_bot(application)
        await fetcher.aclose()


async def test_command_menu_registered(bot: object, emu: BotApiEmulator) -> None:
    """The command list is registered with setMyCommands at start, the admins' in their chats."""
    for language in ("", "ar"):
        assert emu.menu(language=language) == MENU
        assert emu.menu(ADMIN, language) == ADMIN_MENU
    assert emu.menu(CHAT) == []  # everyone else has the default menu
    assert all(c["description"] for c in emu.commands)


async def test_an_admin_without_a_chat_does_not_stop_the_start(
    store: Store, emu: BotApiEmulator
) -> None:
    """An admin Telegram has no chat with gets no admin menu; the bot starts and answers."""
    emu.fail("setMyCommands", ApiError.chat_not_found(), chat_id=ADMIN)
    async with running_bot(store, emu):
        assert emu.menu(ADMIN) == []
        assert emu.menu(ADMIN, "ar") == []  # not tried again in each language
        assert "Welcome" in (await ask(emu, CHAT, "/start")).plain_text


async def test_start(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """/start subscribes the chat to all sources and shows example rules."""
    answer = await ask(emu, CHAT, "/start")
    assert "Welcome" in answer.plain_text
    assert '/watch "US base" drone' in answer.plain_text
    assert "/watch قاعدة أمريكية مسيرة" in answer.plain_text
    view = await store.chats.get(CHAT)
    assert (view.known, view.alerts, view.all_sources) == (True, True, True)


async def test_help(bot: object, emu: BotApiEmulator) -> None:
    """/help lists every command of the menu."""
    answer = await ask(emu, CHAT, "/help")
    for command in MENU:
        if command != "help":
            assert f"/{command}" in answer.plain_text


async def test_watch_rules_unwatch(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """Rules are added, listed with numbers and removed; bad input changes nothing."""
    await ask(emu, CHAT, "/start")
    assert "Tell me what to watch for" in (await ask(emu, CHAT, "/watch")).plain_text
    assert "cannot be used" in (await ask(emu, CHAT, "/watch ?!")).plain_text
    bad = await ask(emu, CHAT, '/watch drone "US base')
    assert "That rule cannot be used: line 1, col 7: missing closing quote" in bad.plain_text
    added = await ask(emu, CHAT, '/watch "US base" drone')
    assert 'Rule 1 added: "US base" drone' in added.plain_text
    assert 'In English reports it reads: "(US|USA|american|امريكي' in added.plain_text
    assert "AND (drone | UAV |" in added.plain_text
    assert "In Arabic reports it finds nothing: none of its words" in added.plain_text
    assert "No items from your sources yet" in added.plain_text
    assert (
        "already watch that: it is rule 1"
        in (await ask(emu, CHAT, '/watch "US base" drone')).plain_text
    )
    await ask(emu, CHAT, "/watch قاعدة أمريكية مسيرة")
    listed = await ask(emu, CHAT, "/rules")
    assert '1. "US base" drone' in listed.plain_text
    assert "2. قاعدة أمريكية مسيرة" in listed.plain_text
    assert "Say which rule" in (await ask(emu, CHAT, "/unwatch two")).plain_text
    assert "There is no rule 7" in (await ask(emu, CHAT, "/unwatch 7")).plain_text
    assert (await store.chats.get(CHAT)).rules == ('"US base" drone', "قاعدة أمريكية مسيرة")
    removed = await ask(emu, CHAT, "/unwatch 1")
    assert 'Removed rule 1: "US base" drone' in removed.plain_text
    assert (await store.chats.get(CHAT)).rules == ("قاعدة أمريكية مسيرة",)


async def test_rule_limit(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """Going over the rule limit is refused and the existing rules stay."""
    await ask(emu, CHAT, "/start")
    for word in ("a1", "b2", "c3"):
        await ask(emu, CHAT, f"/watch {word}")
    refused = await ask(emu, CHAT, "/watch d4")
    assert "You have 3 rules, the most" in refused.plain_text
    assert (await store.chats.get(CHAT)).rules == ("a1", "b2", "c3")


async def test_markup_in_user_input_is_escaped(bot: object, emu: BotApiEmulator) -> None:
    """A rule with HTML characters is echoed safely (the emulator rejects broken HTML)."""
    await ask(emu, CHAT, "/start")
    answer = await ask(emu, CHAT, '/watch <b>AT&T</b> "x"')
    assert 'Rule 1 added: <b>AT&T</b> "x"' in answer.plain_text
    assert "&lt;b&gt;AT&amp;T&lt;/b&gt;" in answer.text


async def test_rule_nested_too_deep_is_explained_in_the_chats_language(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """/watch and /latest refuse a rule nested past the bound, in English or in Arabic."""
    deep = "(" * 40 + "drone" + ")" * 40
    where = "line 1, col 26: the rule is nested more than"
    await ask(emu, CHAT, "/start")
    english = await ask(emu, CHAT, f"/watch {deep}")
    assert f"That rule cannot be used: {where} {MAX_RULE_DEPTH} levels" in english.plain_text
    latest = await ask(emu, CHAT, f"/latest {deep}")
    assert f"That filter cannot be used: {where} {MAX_RULE_DEPTH} levels" in latest.plain_text
    await ask(emu, CHAT, "/lang ar")
    arabic = await ask(emu, CHAT, f"/watch {deep}")
    reason = f"السطر 1، العمود 26: القاعدة متداخلة أكثر من {MAX_RULE_DEPTH} مستوى"
    assert f"لا يمكن استخدام هذه القاعدة: {reason}" in arabic.plain_text
    assert not (await store.chats.get(CHAT)).rules


async def test_watch_before_start_warns_alerts_off(bot: object, emu: BotApiEmulator) -> None:
    """A rule added by a chat that never subscribed says alerts are off."""
    answer = await ask(emu, CHAT, "/watch drone")
    assert "Alerts are off" in answer.plain_text


async def test_sources_subscribe_unsubscribe(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """Sources can be dropped and added by id or name; unknown names change nothing."""
    await ask(emu, CHAT, "/start")
    listed = await ask(emu, CHAT, "/sources")
    assert listed.plain_text.count("\n✅ ") == 3
    unknown = await ask(emu, CHAT, "/unsubscribe nosuch")
    assert f"I do not know the source {FSI}nosuch{PDI}" in unknown.plain_text
    assert (await store.chats.get(CHAT)).all_sources
    dropped = await ask(emu, CHAT, "/unsubscribe BBC World")
    assert "Stopped: BBC World. You follow 2 sources." in dropped.visible
    listed = await ask(emu, CHAT, "/sources")
    assert "▫️ BBC World (bbc-world)" in listed.plain_text
    assert "✅ Levant Wire (wire)" in listed.plain_text
    not_followed = await ask(emu, CHAT, "/unsubscribe bbc-world")
    assert "You do not follow BBC World" in not_followed.visible
    added = await ask(emu, CHAT, "/subscribe bbc-world")
    assert "You now follow:" in added.plain_text
    assert "BBC World" in added.plain_text
    assert (await store.chats.get(CHAT)).sources == frozenset({"wire", "bbc-world", "arabi"})
    off = await ask(emu, CHAT, "/unsubscribe")
    assert "Alerts off" in off.plain_text
    assert "Alerts are off" in (await ask(emu, CHAT, "/sources")).plain_text
    on = await ask(emu, CHAT, "/subscribe")
    assert "Alerts on, from all sources (3 sources)." in on.plain_text
    assert "no rules yet" in on.plain_text
    view = await store.chats.get(CHAT)
    assert (view.alerts, view.all_sources) == (True, True)


async def test_subscribe_several_and_drop_all(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """Several sources at once (comma-separated names); dropping the last one says so."""
    await ask(emu, CHAT, "/unsubscribe wire, bbc-world, arabi")
    assert (await store.chats.get(CHAT)).sources == frozenset()
    await ask(emu, CHAT, "/subscribe Levant Wire, عربي بوست")
    assert (await store.chats.get(CHAT)).sources == frozenset({"wire", "arabi"})
    last = await ask(emu, CHAT, "/unsubscribe wire arabi")
    assert "You follow no sources now" in last.plain_text


async def test_latest(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """/latest lists the newest items of the chat's sources, newest first, with links."""
    await ask(emu, CHAT, "/start")
    assert "Nothing yet" in (await ask(emu, CHAT, "/latest")).plain_text
    base = datetime(2023, 10, 23, 20, 0, tzinfo=UTC)
    items = [
        Item(id=f"wire:{n}", feed_id="wire", title=f"Story {n} <&>", link=f"https://wire.example/{n}",
             published=base + timedelta(minutes=n))
        for n in range(7)
    ] + [Item(id="bbc:x", feed_id="bbc-world", title="BBC story", published=base)]  # fmt: skip
    await store.items.save(items)
    await ask(emu, CHAT, "/unsubscribe bbc-world")
    answer = await ask(emu, CHAT, "/latest")
    lines = answer.visible.splitlines()
    headlines = [line for line in lines if line.startswith("Story")]
    assert headlines == [f"Story {n} <&>" for n in (6, 5, 4, 3, 2)]
    assert "BBC story" not in answer.plain_text
    assert '<a href="https://wire.example/6">' in answer.text
    assert f"{LRM}{FSI}Levant Wire{PDI} · 23 Oct 2023 20:06 UTC" in answer.plain_text


async def test_unknown_command_and_plain_text(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """Unknown commands and plain messages get a short pointer to /help and change nothing."""
    unknown = await ask(emu, CHAT, "/frobnicate now")
    assert "I do not know /frobnicate" in unknown.plain_text
    plain = await ask(emu, CHAT, "hello?")
    assert "/help" in plain.plain_text
    assert not (await store.chats.get(CHAT)).known


async def test_group_command_with_bot_name(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """In a group, /watch@botname works for its admins; plain group chatter gets no answer."""
    group = -100123
    emu.set_admin(group, 7)
    answer = await ask(
        emu, group, f"/watch@{emu.username} drone", user_id=7, chat_type="supergroup"
    )
    assert "Rule 1 added: drone" in answer.plain_text
    emu.send_message(group, "just talking", user_id=7, chat_type="supergroup")
    await ask(emu, group, "/rules", user_id=7, chat_type="supergroup")
    texts = [m.plain_text for m in emu.sent(group)]
    assert len(texts) == 2
    assert (await store.chats.get(group)).rules == ("drone",)


@pytest.mark.parametrize(
    "command", ["/watch oil", "/unwatch 1", "/subscribe", "/pause", "/quiet 23-7"]
)
async def test_group_members_cannot_change_settings(
    bot: object, emu: BotApiEmulator, store: Store, command: str
) -> None:
    """In a group, a member who is not an admin may read but not change rules or settings."""
    group = -100124
    emu.set_admin(group, 7)
    await ask(emu, group, "/watch drone", user_id=7, chat_type="supergroup")
    refused = await ask(emu, group, command, user_id=8, chat_type="supergroup")
    assert "only its admins" in refused.plain_text
    view = await store.chats.get(group)
    assert (view.rules, view.paused, view.quiet) == (("drone",), False, None)
    listed = await ask(emu, group, "/rules", user_id=8, chat_type="supergroup")
    assert "drone" in listed.plain_text


async def test_group_member_start_changes_nothing(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """A member's /start in a group is welcomed but neither turns alerts on nor sets a language."""
    group = -100125
    emu.set_admin(group, 7)
    await ask(emu, group, "/start", user_id=7, chat_type="supergroup", language_code="en")
    await ask(emu, group, "/unsubscribe", user_id=7, chat_type="supergroup")
    before = await store.chats.get(group)
    assert not before.alerts
    answer = await ask(emu, group, "/start", user_id=8, chat_type="supergroup", language_code="ar")
    assert "Only the group's admins turn its alerts on" in answer.plain_text  # its language
    assert await store.chats.get(group) == before
    fresh = -100126  # a group no admin has started: a member starts nothing either
    answer = await ask(emu, fresh, "/start", user_id=8, chat_type="supergroup", language_code="ar")
    assert "مشرفو المجموعة وحدهم يفعّلون تنبيهاتها" in answer.plain_text  # the user's language
    assert not (await store.chats.get(fresh)).known


@pytest.mark.parametrize(
    ("chat_type", "command", "answer"),
    [
        ("supergroup", "/watch@other_bot football", None),  # another bot's: not ours at all
        ("private", "/watch@other_bot football", None),
        ("supergroup", "/frobnicate", None),  # may be another bot's: silence in groups
        ("supergroup", "/frobnicate@{me}", "I do not know /frobnicate"),  # named us: answered
        ("private", "/frobnicate", "I do not know /frobnicate"),
        ("supergroup", "/watch@{me} football", "Rule 1 added: football"),
        ("group", "/watch@{ME} football", "Rule 1 added: football"),  # names are caseless
    ],
)
async def test_commands_for_other_bots_are_ignored(
    bot: object,
    emu: BotApiEmulator,
    store: Store,
    *,
    chat_type: str,
    command: str,
    answer: str | None,
) -> None:
    """Commands naming another bot get no answer; in groups, unknown ones only when named to us."""
    chat = -100127 if chat_type != "private" else CHAT
    emu.set_admin(chat, 7)
    text = command.format(me=emu.username, ME=emu.username.upper())
    emu.send_message(chat, text, user_id=7, chat_type=chat_type)
    # Updates are handled in order: once the marker is answered, the command was handled.
    emu.send_message(chat, f"/help@{emu.username}", user_id=7, chat_type=chat_type)
    await emu.wait_sent(chat, 1 if answer is None else 2)
    replies = [m.plain_text for m in emu.sent(chat)]
    if answer is None:
        assert len(replies) == 1  # the marker's answer only
        assert "/unwatch" in replies[0]
        assert (await store.chats.get(chat)).rules == ()
    else:
        assert len(replies) == 2
        assert answer in replies[0]


async def test_commands_for_other_bots_do_not_count_against_the_rate(
    store: Store, emu: BotApiEmulator
) -> None:
    """A group's commands for other bots never make this bot tell it to slow down."""
    group = -100128
    async with running_bot(store, emu, command_rate=1, command_burst=2):
        for _ in range(5):
            emu.send_message(group, "/latest@other_bot", user_id=7, chat_type="supergroup")
        answer = await ask(emu, group, f"/help@{emu.username}", user_id=7, chat_type="supergroup")
        assert "/watch" in answer.plain_text
        assert len(emu.sent(group)) == 1


async def test_long_rule_list_is_split(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """A rule list longer than one Telegram message arrives as several valid messages."""
    await store.chats.start(CHAT)
    # Each rule as long as the language allows (300 characters), so 50 exceed one message.
    rules = [f"rule{n:02d} " + "abcdefghijklmnopqrst " * 13 for n in range(50)]
    for rule in rules:
        await store.chats.add_rule(CHAT, rule.strip(), 100)
    emu.send_message(CHAT, "/rules")
    await emu.wait_for(
        lambda: sum(m.plain_text.count("rule") for m in emu.sent(CHAT)) >= 50, what="all rules"
    )
    messages = emu.sent(CHAT)
    assert len(messages) > 1
    assert all(len(m.text) <= 4096 for m in messages)
    joined = "\n".join(m.plain_text for m in messages)
    assert all(f"{n}. rule{n - 1:02d}" in joined for n in range(1, 51))


@pytest.mark.parametrize(
    ("html", "limit", "parts"),
    [
        ("a\nb\nc", 10, ["a\nb\nc"]),
        ("aaaa\nbbbb\ncccc", 9, ["aaaa\nbbbb", "cccc"]),
        ("<b>x</b>\n<b>y</b>", 8, ["<b>x</b>", "<b>y</b>"]),
        ("", 10, []),
    ],
)
def test_split_message(html: str, limit: int, parts: list[str]) -> None:
    """Long answers split at line ends, each part within the limit."""
    assert split_message(html, limit) == parts


async def test_watch_previews_recent_items(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """/watch says how many of the latest items the rule would have matched, and the newest."""
    await ask(emu, CHAT, "/start")
    base = datetime(2023, 10, 23, 20, 0, tzinfo=UTC)
    await store.items.save(
        [
            Item(id="wire:1", feed_id="wire", title="Drone hits US base", published=base),
            Item(id="wire:2", feed_id="wire", title="Oil prices climb",
                 published=base + timedelta(minutes=1)),
            Item(id="arabi:3", feed_id="arabi", title="مسيرة تستهدف قاعدة أمريكية",
                 published=base + timedelta(minutes=2)),
        ]
    )  # fmt: skip
    answer = await ask(emu, CHAT, "/watch drone")
    assert (
        "It would have matched 2 of the last 3 items (1 in English, 1 in Arabic); the newest:"
        in answer.plain_text
    )
    assert "مسيرة تستهدف قاعدة أمريكية" in answer.plain_text
    assert "In English reports it reads: (drone | UAV |" in answer.plain_text
    assert "In Arabic reports it reads: (مسيرة | درون |" in answer.plain_text
    arabic = await ask(emu, CHAT, "/watch مسيرة lang:ar")
    assert "In Arabic reports it reads: (مسيرة |" in arabic.plain_text
    assert "English reports" not in arabic.plain_text  # kept to Arabic on purpose
    assert "(0 in English, 1 in Arabic)" in arabic.plain_text
    none = await ask(emu, CHAT, "/watch tanker")
    assert "It would have matched none of the last 3 items." in none.plain_text


async def test_watch_reads_a_name_in_both_scripts(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """/watch shows a name read by its sound in the other script, and counts what it finds."""
    await ask(emu, CHAT, "/start")
    await store.items.save(
        [Item(id="arabi:1", feed_id="arabi", title="وصل بلينكن إلى الرياض",
              published=datetime(2023, 10, 23, 20, 0, tzinfo=UTC))]
    )  # fmt: skip
    name = await ask(emu, CHAT, "/watch Blinken")
    assert "In English reports it reads: blinken" in name.plain_text
    assert "In Arabic reports it reads: ≈blinken" in name.plain_text  # by its sound: بلينكن
    assert "≈ marks a name found by its sound in the other script." in name.plain_text
    assert "(0 in English, 1 in Arabic)" in name.plain_text


def as_admin() -> dict[str, object]:
    """Message options for the admin's private chat."""
    return {"user_id": ADMIN}


async def test_admin_commands_refused_to_others(bot: object, emu: BotApiEmulator) -> None:
    """Admin commands answer non-admins with a refusal and change nothing."""
    for command in (
        "/feeds", "/addfeed http://127.0.0.1/x", "/removefeed wire", "/stats", "/failed"
    ):  # fmt: skip
        assert "Only the bot's admins" in (await ask(emu, CHAT, command)).plain_text


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c.access is not Access.EVERYONE], ids=lambda c: c.name
)
async def test_every_checked_command_is_refused_through_the_one_check(
    bot: object, emu: BotApiEmulator, store: Store, command: Command
) -> None:
    """Each command the table restricts answers the users it leaves out with its refusal alone."""
    group = -100127
    emu.set_admin(group, 7)
    await ask(emu, group, "/start", user_id=7, chat_type="supergroup")
    await ask(emu, group, "/watch drone", user_id=7, chat_type="supergroup")
    before = await store.chats.get(group)
    if command.access is Access.BOT_ADMINS:
        chat, user, refusal = CHAT, {}, command.refusal or "admin.only"
    else:  # a member of the group who is not its admin
        chat, user = group, {"user_id": 8, "chat_type": "supergroup"}
        refusal = command.refusal or "group.admins_only"
    sent = len(emu.sent(chat))
    await ask(emu, chat, f"/{command.name}", **user)
    await ask(emu, chat, "/rules", **user)  # handled after it: nothing else came in between
    assert [m.text for m in emu.sent(chat)[sent:-1]] == [text(refusal, "en")]
    assert await store.chats.get(group) == before
    assert sorted(await store.catalog.all(), key=str) == sorted(FEEDS, key=str)


def test_every_command_has_a_handler_and_every_text() -> None:
    """Each command is handled once, and its menu entry and /help lines exist in every catalog."""
    handled = [
        name for h in build_handlers() if isinstance(h, CommandHandler) for name in h.commands
    ]
    assert sorted(handled) == sorted(c.name for c in COMMANDS)  # each once: menu ones too
    assert set(MENU) <= set(ADMIN_MENU) <= set(handled)
    places = [c.menu for c in COMMANDS if c.menu is not None]
    assert sorted(places) == list(range(1, len(places) + 1))  # one place each, no gaps
    for lang, catalog in CATALOGS.items():
        for command in COMMANDS:
            wanted = [command.menu_key] if command.menu is not None else []
            if command.section is not None:
                wanted += [command.help_key, f"help.section.{command.section}"]
            assert all(catalog.get(key) for key in wanted), (lang, command.name)
        # And no text waits for a command the table does not have.
        named = {key.split(".", 1)[1] for key in catalog if key.startswith(("command.", "help."))}
        sections = {f"section.{c.section}" for c in COMMANDS if c.section}
        assert named <= {c.name for c in COMMANDS} | sections | {"intro"}, lang


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_help_is_the_table(lang: str) -> None:
    """/help shows each command's lines in table order, the admins' only to admins."""
    for admin in (False, True):
        shown = help_text(lang, admin=admin)
        lines = [
            text(c.help_key, lang, latest=5)
            for c in COMMANDS
            if c.section and (admin or c.access is not Access.BOT_ADMINS)
        ]
        at = [shown.find(line) for line in lines]
        assert -1 not in at
        assert at == sorted(at)
        assert (text("help.section.admin", lang) in shown) is admin


def test_readme_command_table_is_the_tables() -> None:
    """README.md's command table is the one the command table makes."""
    readme = README.read_text(encoding="utf-8")
    written = readme.partition(README_START)[2].partition(README_END)[0].strip()
    assert written == readme_table(), (
        "README.md's command table differs from handlers/table.py: run "
        "`.venv/bin/python -m handlers.table` to write it"
    )


async def test_help_shows_admin_commands_to_admins(bot: object, emu: BotApiEmulator) -> None:
    """Admins see the admin commands in /help; others do not."""
    assert "/addfeed" not in (await ask(emu, CHAT, "/help")).plain_text
    assert "/addfeed" in (await ask(emu, ADMIN, "/help")).plain_text


async def test_addfeed_and_removefeed(
    bot: object, emu: BotApiEmulator, store: Store, feed_server: FeedServer
) -> None:
    """An admin adds a feed (fetched once: title and newest item shown) and removes it again."""
    url = feed_server.set(
        "/news.xml",
        rss([Entry("a", "Older story"), Entry("b", "Newest story", minutes=5)], title="Local News"),
    )
    added = await ask(emu, ADMIN, f"/addfeed {url}")
    assert (
        "Added Local News (local-news): “Local News”, 2 items, the newest: Newest story"
        in added.plain_text
    )
    feed = await store.catalog.get("local-news")
    assert feed is not None
    assert (feed.url, feed.origin) == (url, "admin")
    assert "local-news" in await store.schedule.scheduled()
    again = await ask(emu, ADMIN, f"/addfeed {url}")
    assert "already in the catalog as Local News (local-news)" in again.plain_text
    removed = await ask(emu, ADMIN, "/removefeed local-news")
    assert "Removed Local News (local-news)" in removed.plain_text
    assert await store.catalog.get("local-news") is None
    assert "local-news" not in await store.schedule.scheduled()


async def test_addfeed_with_a_name_and_bad_urls(
    bot: object, emu: BotApiEmulator, store: Store, feed_server: FeedServer
) -> None:
    """A given name is used; pages that are not feeds and unreachable hosts are refused."""
    url = feed_server.set("/x.xml", rss([Entry("a", "Story")]))
    named = await ask(emu, ADMIN, f"/addfeed {url} Gulf Desk")
    assert "Added Gulf Desk (gulf-desk)" in named.plain_text
    page = feed_server.set("/page.html", "<html><body>hi</body></html>", content_type="text/html")
    refused = await ask(emu, ADMIN, f"/addfeed {page}")
    assert f"Could not add {page}: not a feed" in refused.plain_text
    ftp = await ask(emu, ADMIN, "/addfeed ftp://example.com/feed")
    assert "Could not add ftp://example.com/feed: only http and https" in ftp.plain_text
    assert "Give the feed's address" in (await ask(emu, ADMIN, "/addfeed")).plain_text


async def test_addfeed_of_a_malformed_address_says_so_in_both_languages(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """/addfeed with an address httpx cannot parse says it is not a valid address, in EN or AR."""
    url = "http://0177.0.0.1/feed"
    english = await ask(emu, ADMIN, f"/addfeed {url}")
    assert english.plain_text.startswith(f"Could not add {url}: that is not a valid web address")
    assert "Invalid IPv4 address" in english.plain_text
    await ask(emu, ADMIN, "/lang ar")
    arabic = await ask(emu, ADMIN, "/addfeed http://example.com:abc/feed")
    assert "هذا ليس عنوان ويب صالحاً" in arabic.plain_text
    assert len(await store.catalog.all()) == len(FEEDS)


@pytest.mark.parametrize("bot", [False], indirect=True, ids=["private-feeds-refused"])
async def test_addfeed_refuses_private_addresses(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """With the default policy, an admin cannot add a feed on loopback or a metadata address."""
    for url in ("http://127.0.0.1:8080/feed.xml", "http://169.254.169.254/latest/meta-data"):
        answer = await ask(emu, ADMIN, f"/addfeed {url}")
        assert f"Could not add {url}:" in answer.plain_text
        assert "address" in answer.plain_text
    assert len(await store.catalog.all()) == len(FEEDS)


async def test_feeds_health(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """/feeds shows each feed's health with a mark, and flags a feed failing for a day."""
    now = datetime.now(UTC)
    await store.feeds.record_success(
        "wire", now - timedelta(minutes=5), validators=None, new_items=4
    )
    await store.feeds.record_failure(
        "bbc-world", now - timedelta(days=2), "HTTP 500 Internal Server Error"
    )
    await store.feeds.record_failure("bbc-world", now, "HTTP 500 Internal Server Error")
    await store.feeds.disable("arabi", "HTTP 410 Gone: the feed was removed")
    answer = (await ask(emu, ADMIN, "/feeds")).plain_text
    assert "🟢 Levant Wire (wire): last fetched 5 min ago, 4 items so far" in answer
    assert "🔴 BBC World (bbc-world): failing for 2 days: HTTP 500 Internal Server Error" in answer
    assert "⛔ عربي بوست (arabi): no longer polled: HTTP 410 Gone" in answer


async def test_feeds_and_stats_name_the_feeds_being_capped(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """/feeds and /stats name the feeds capped in the last day (both languages), not older ones."""
    now = datetime.now(UTC)
    await store.feeds.record_success(
        "wire", now, validators=None, new_items=200, skipped=300, dropped=40
    )
    await store.feeds.record_success(
        "bbc-world", now - timedelta(days=2), validators=None, new_items=5, dropped=7
    )
    await store.feeds.record_success("bbc-world", now, validators=None, new_items=1)
    feeds = (await ask(emu, ADMIN, "/feeds")).plain_text
    (wire,) = [line for line in feeds.splitlines() if "(wire)" in line]
    assert "a poll reads only its newest 200 entries (300 left out last time)" in wire
    assert "it keeps only its newest 1000 items (40 older items dropped so far)" in wire
    assert "✂️" not in next(line for line in feeds.splitlines() if "(bbc-world)" in line)
    stats = (await ask(emu, ADMIN, "/stats")).plain_text
    assert "Capped: 1 feed kept within the storage bounds in the last day" in stats
    await ask(emu, ADMIN, "/lang ar")
    feeds = (await ask(emu, ADMIN, "/feeds")).plain_text
    assert "تُقرأ أحدث مدخلاته فقط (الحد 200، وأُهمل 300 في آخر مرة)" in feeds
    assert "تُحفظ أحدث أخباره فقط (الحد 1000، وحُذف 40 من الأقدم حتى الآن)" in feeds
    stats = (await ask(emu, ADMIN, "/stats")).plain_text
    assert "مصادر مقيَّدة: مصدر واحد عند حدود التخزين خلال آخر يوم" in stats


async def test_stats(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """/stats sums up chats, feed health, the last hour's events and the delivery backlog."""
    now = datetime.now(UTC)
    await ask(emu, CHAT, "/start")
    await ask(emu, CHAT, "/watch drone")
    await ask(emu, CHAT, "/watch قاعدة")
    await ask(emu, 43, "/start")
    await store.feeds.record_success("wire", now, validators=None, new_items=2)
    await store.feeds.record_failure("bbc-world", now, "HTTP 500")
    await store.counters.add(Event.ITEMS, 12)
    await store.counters.add(Event.SENT, 7)
    await store.counters.add(Event.FLOODS)
    await store.deliveries.ensure_groups()
    await store.deliveries.enqueue([Delivery(chat_id=CHAT, item_id="wire:1", rule="drone")])
    answer = (await ask(emu, ADMIN, "/stats")).plain_text
    assert "Chats: 2 started · 2 reachable · 1 getting alerts · 2 rules" in answer
    assert "Feeds: 3 in the catalog · 1 fine · 1 failing (0 for a day) · 1 not polled yet" in answer
    assert "Last hour: 12 new items · 0 failed polls · 7 alerts sent · 0 retries" in answer
    assert "1 slow-down answer (429) · 0 given up" in answer
    assert "Delivery: 1 waiting (room for 1000000) · oldest queued just now" in answer
    assert "· 0 senders running" in answer
    assert "near its limit" not in answer
    assert "Failed deliveries kept: 0" in answer
    assert "Capped" not in answer


def buttons(message: Any) -> dict[str, str]:
    """A message's inline buttons: label -> callback data."""
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def edit_calls(emu: BotApiEmulator) -> int:
    """How many edits of messages the bot asked for."""
    return len(emu.calls("editMessageText")) + len(emu.calls("editMessageReplyMarkup"))


async def press(emu: BotApiEmulator, message: Any, label_part: str) -> None:
    """Press the button whose label contains `label_part`; wait for its answer and its edit."""
    (data,) = [d for label, d in buttons(message).items() if label_part in label]
    answered, edited = len(emu.calls("answerCallbackQuery")), edit_calls(emu)
    emu.press_button(message.chat_id, message.message_id, data)
    await emu.wait_for(
        lambda: len(emu.calls("answerCallbackQuery")) > answered and edit_calls(emu) > edited,
        what="the button's answer and edit",
    )


async def test_settings_panel_buttons_change_settings(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """/settings shows the settings; each button saves its choice and redraws the panel."""
    await ask(emu, CHAT, "/start")
    panel = await ask(emu, CHAT, "/settings")
    assert "an alert for each story" in panel.plain_text
    assert "Quiet hours: none" in panel.plain_text
    await press(emu, panel, "Hourly")
    await press(emu, emu.message(CHAT, panel.message_id), "22–7")
    await press(emu, emu.message(CHAT, panel.message_id), "Baghdad")
    await press(emu, emu.message(CHAT, panel.message_id), "1 h")
    view = await store.chats.get(CHAT)
    assert (view.mode, view.quiet, view.tz) == ("hourly", (22, 7), "Asia/Baghdad")
    assert view.is_paused(datetime.now(UTC))
    assert view.paused_until is not None
    redrawn = emu.message(CHAT, panel.message_id)
    assert "one digest an hour" in redrawn.plain_text
    assert "22:00–7:00" in redrawn.plain_text
    assert "Asia/Baghdad" in redrawn.plain_text
    assert "paused until" in redrawn.plain_text
    assert any("Resume" in label for label in buttons(redrawn))
    await press(emu, redrawn, "Resume")
    assert not (await store.chats.get(CHAT)).paused
    await press(emu, emu.message(CHAT, panel.message_id), "العربية")
    assert (await store.chats.get(CHAT)).lang == "ar"
    assert "الإعدادات" in emu.message(CHAT, panel.message_id).plain_text


async def test_forged_button_changes_nothing(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """A button with data the panel never offers is refused politely and changes nothing."""
    await ask(emu, CHAT, "/start")
    panel = await ask(emu, CHAT, "/settings")
    emu.press_button(CHAT, panel.message_id, "set:tz:99")
    emu.press_button(CHAT, panel.message_id, "set:mode:weekly")
    await emu.wait_for(lambda: len(emu.calls("answerCallbackQuery")) >= 2, what="two answers")
    assert (await store.chats.get(CHAT)).tz == "UTC"
    assert (await store.chats.get(CHAT)).mode == "instant"


@pytest.mark.parametrize(
    ("command", "expected", "check"),
    [
        ("/pause 2h", "Alerts paused until", lambda v: v.paused and v.paused_until is not None),
        ("/pause", "Alerts paused.", lambda v: v.paused and v.paused_until is None),
        ("/pause forever", "Say for how long", lambda v: not v.paused),
        ("/quiet 23-7", "Quiet hours: 23:00–7:00 in UTC", lambda v: v.quiet == (23, 7)),
        ("/quiet 25-7", "Give the hours", lambda v: v.quiet is None),
        ("/tz asia/riyadh", "Time zone: Asia/Riyadh", lambda v: v.tz == "Asia/Riyadh"),
        ("/tz Mars/Base", "I do not know the time zone Mars/Base", lambda v: v.tz == "UTC"),
        ("/lang ar", "سأكتب إليك بالعربية", lambda v: v.lang == "ar"),
        ("/pause 30m", "Alerts paused until", lambda v: v.paused_until is not None),
        ("/pause 1d", "Alerts paused until", lambda v: v.paused_until is not None),
        ("/pause 0h", "Say for how long", lambda v: not v.paused),
        ("/quiet off", "No quiet hours any more", lambda v: v.quiet is None),
        ("/quiet 7-7", "Give the hours", lambda v: v.quiet is None),
        ("/tz", "Your time zone is UTC", lambda v: v.tz == "UTC"),
        ("/tz Asia", "I do not know the time zone Asia", lambda v: v.tz == "UTC"),
        ("/tz ../../etc/passwd", "I do not know the time zone", lambda v: v.tz == "UTC"),
    ],
)
async def test_settings_commands(  # noqa: PLR0917 - fixtures and table columns
    bot: object, emu: BotApiEmulator, store: Store, command: str, expected: str, check: Any
) -> None:
    """Each settings command saves a valid value; a wrong one (read strictly) changes nothing."""
    await ask(emu, CHAT, "/start")
    answer = await ask(emu, CHAT, command)
    assert expected in answer.plain_text
    assert check(await store.chats.get(CHAT))


async def test_arabic_user_gets_arabic(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """A user whose Telegram speaks Arabic is answered in Arabic, and the choice is kept."""
    welcome = await ask(emu, CHAT, "/start", language_code="ar")
    assert "أهلاً بك" in welcome.plain_text
    assert (await store.chats.get(CHAT)).lang == "ar"
    rules = await ask(emu, CHAT, "/rules", language_code="en")  # the chat's choice wins
    assert "ليست لديك قواعد" in rules.plain_text
    english = await ask(emu, CHAT, "/lang en")
    assert "I will write in English" in english.plain_text
    assert "You have no rules" in (await ask(emu, CHAT, "/rules")).plain_text


async def test_menu_in_both_languages(bot: object, emu: BotApiEmulator) -> None:
    """The command menu is registered in English by default and in Arabic for Arabic users."""
    calls = [c for c in emu.calls("setMyCommands") if "scope" not in c.params]
    by_lang = {c.params.get("language_code") or None: c.params["commands"] for c in calls}
    assert set(by_lang) == {None, "ar"}
    for commands in by_lang.values():
        names = [c["command"] for c in commands]
        assert names == MENU
    assert any(c["description"] == "قواعدك" for c in by_lang["ar"])


async def test_rule_buttons_remove_the_right_rule(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """Each rule has a remove button; a button drawn before the list changed removes nothing."""
    await ask(emu, CHAT, "/start")
    for rule in ("drone", "oil", "gaza"):
        await ask(emu, CHAT, f"/watch {rule}")
    listing = await ask(emu, CHAT, "/rules")
    old_buttons = buttons(listing)
    await press(emu, listing, "✖ 2")
    assert (await store.chats.get(CHAT)).rules == ("drone", "gaza")
    assert "oil" not in emu.message(CHAT, listing.message_id).plain_text
    stale = await ask(emu, CHAT, "/rules")  # a second copy of the old list
    emu.press_button(CHAT, stale.message_id, old_buttons["✖ 2"])  # "oil" is no longer rule 2
    await emu.wait_for(
        lambda: len(emu.calls("answerCallbackQuery")) >= 2, what="the stale button's answer"
    )
    assert (await store.chats.get(CHAT)).rules == ("drone", "gaza")


async def test_latest_filters_counts_and_pages(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """/latest takes a rule and a count, shows each story once, and pages with a button."""
    await ask(emu, CHAT, "/start")
    base = datetime(2023, 10, 23, 20, 0, tzinfo=UTC)
    items = [
        Item(id=f"wire:{n}", feed_id="wire", title=f"Drone story {n}", link=f"https://w.example/{n}",
             published=base + timedelta(minutes=n), story_id=f"wire:{n}")
        for n in range(8)
    ] + [
        Item(id="bbc:1", feed_id="bbc-world", title="Drone story 7 told again", published=base
             + timedelta(minutes=9), story_id="wire:7"),
        Item(id="wire:oil", feed_id="wire", title="Oil prices",
             published=base + timedelta(minutes=10)),
    ]  # fmt: skip
    await store.items.save(items)
    first = await ask(emu, CHAT, "/latest drone 3")
    assert [line for line in first.visible.splitlines() if "Drone" in line] == [
        "Drone story 7 told again", "Drone story 6", "Drone story 5"
    ]  # fmt: skip
    assert "Oil" not in first.plain_text
    await press(emu, first, "More")
    await emu.wait_for(lambda: "Drone story 4" in emu.sent(CHAT)[-1].plain_text, what="page 2")
    second = emu.sent(CHAT)[-1]
    assert [line for line in second.visible.splitlines() if "Drone" in line] == [
        "Drone story 4", "Drone story 3", "Drone story 2"
    ]  # fmt: skip
    assert buttons(emu.message(CHAT, first.message_id)) == {}  # the used button is gone
    bad = await ask(emu, CHAT, '/latest "drone')
    assert "That filter cannot be used" in bad.plain_text
    none = await ask(emu, CHAT, "/latest tsunami")
    assert "None of the recent stories" in none.plain_text


async def test_channel_subscription(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """/subscribe @channel needs the user and the bot to administer it; then it gets the alerts."""
    channel = -1001234567890
    emu.add_channel(channel, "newsdesk", "News desk")
    await ask(emu, CHAT, "/start")
    await ask(emu, CHAT, "/watch drone")
    missing = await ask(emu, CHAT, "/subscribe @nosuchchannel")
    assert "cannot find the channel" in missing.plain_text
    no_bot = await ask(emu, CHAT, "/subscribe @newsdesk")
    assert "Make me an admin" in no_bot.plain_text
    emu.set_admin(channel, emu.bot_id)
    no_user = await ask(emu, CHAT, "/subscribe @newsdesk")
    assert "Only an admin of @newsdesk" in no_user.plain_text
    emu.set_admin(channel, CHAT, owner=True)
    done = await ask(emu, CHAT, "/subscribe @newsdesk")
    assert "posted to @newsdesk" in done.plain_text
    subscribers = {s.chat_id: s for s in await store.chats.subscribers()}
    assert subscribers[channel].rules == ("drone",)
    await ask(emu, CHAT, "/watch oil")  # the channel follows the owner's rules
    subscribers = {s.chat_id: s for s in await store.chats.subscribers()}
    assert subscribers[channel].rules == ("drone", "oil")
    stopped = await ask(emu, CHAT, "/unsubscribe @newsdesk")
    assert "no longer posted" in stopped.plain_text
    assert channel not in {s.chat_id for s in await store.chats.subscribers()}


@pytest.fixture
async def gated_bot(
    store: Store, emu: BotApiEmulator
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The bot in allowlist mode (only CHAT), with 2 commands at once, then 6 a minute."""
    async with running_bot(
        store, emu, allowlist=frozenset({CHAT}), command_rate=6, command_burst=2
    ) as application:
        yield application


async def test_allowlist_and_command_rate(
    gated_bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """Outsiders are told the bot is private; a chat over its command rate is told to wait once."""
    stranger = 5150
    refused = await ask(emu, stranger, "/start")
    assert "This bot is private" in refused.plain_text
    assert not (await store.chats.get(stranger)).known
    assert "Welcome" in (await ask(emu, ADMIN, "/start")).plain_text  # admins always may
    assert "Welcome" in (await ask(emu, CHAT, "/start")).plain_text
    assert "Your rules" not in (await ask(emu, CHAT, "/watch drone")).plain_text
    slow = await ask(emu, CHAT, "/rules")
    assert "Too many commands at once: please wait" in slow.plain_text
    before = len(emu.sent(CHAT))
    emu.send_message(CHAT, "/rules")  # still over the rate: no second notice, no answer
    await ask(emu, ADMIN, "/rules")  # updates are handled in order: CHAT's was handled first
    assert len(emu.sent(CHAT)) == before
    assert (await store.chats.get(CHAT)).rules == ("drone",)


def last_answer(emu: BotApiEmulator) -> str:
    """The text of the bot's newest answer to a button press."""
    return str(emu.calls("answerCallbackQuery")[-1].params.get("text", ""))


async def answered(emu: BotApiEmulator, chat: int, message_id: int, data: str, **who: int) -> str:
    """Press a button with `data` (real or forged) and return the bot's answer to it."""
    before = len(emu.calls("answerCallbackQuery"))
    emu.press_button(chat, message_id, data, **who)
    await emu.wait_for(
        lambda: len(emu.calls("answerCallbackQuery")) > before, what="the button's answer"
    )
    return last_answer(emu)


async def test_lang_buttons(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """/lang offers both languages; a press saves the choice and the question becomes its answer."""
    await ask(emu, CHAT, "/start")
    question = await ask(emu, CHAT, "/lang")
    assert "Which language" in question.plain_text
    assert set(buttons(question)) == {"English", "العربية"}
    await press(emu, question, "العربية")
    assert (await store.chats.get(CHAT)).lang == "ar"
    answer = emu.message(CHAT, question.message_id)
    assert "سأكتب إليك بالعربية" in answer.plain_text
    assert buttons(answer) == {}
    assert "/settings" in (await ask(emu, CHAT, "/help")).plain_text
    assert "الإعدادات" in (await ask(emu, CHAT, "/help")).plain_text
    assert "لا أعرف الأمر /nope" in (await ask(emu, CHAT, "/nope")).plain_text
    panel = await ask(emu, CHAT, "/settings")
    assert "اللغة: العربية" in panel.plain_text
    assert {"• ⚡ كل خبر", "بغداد", "• العربية"} <= set(buttons(panel))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", f"I cannot write in fr. I write in {FSI}English{PDI}, {FSI}العربية{PDI}"),
        ("ar", f"لا أكتب بلغة fr. اللغات المتاحة: {FSI}English{PDI}، {FSI}العربية{PDI}."),
    ],
)
async def test_lang_names_the_languages_offered(
    bot: object, emu: BotApiEmulator, store: Store, lang: str, expected: str
) -> None:
    """/lang with a language the bot does not write names the ones it does, with their buttons."""
    await ask(emu, CHAT, f"/lang {lang}")
    offered = await ask(emu, CHAT, "/lang fr")
    assert expected in offered.plain_text
    assert set(buttons(offered)) == {"English", "العربية"}
    assert (await store.chats.get(CHAT)).lang == lang
    await press(emu, offered, "العربية")
    assert (await store.chats.get(CHAT)).lang == "ar"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "I show from 1 to 20 stories at a time"),
        ("ar", "أعرض من 1 إلى 20 خبراً في المرة الواحدة"),
    ],
)
async def test_latest_out_of_range_says_the_range(
    bot: object, emu: BotApiEmulator, store: Store, lang: str, expected: str
) -> None:
    """/latest 0, /latest 21 and /latest drone 0 say the count goes from 1 to 20."""
    await ask(emu, CHAT, f"/lang {lang}")
    await ask(emu, CHAT, "/start")
    await store.items.save(
        [Item(id="wire:1", feed_id="wire", title="Drone story", published=datetime.now(UTC))]
    )
    for command in ("/latest 0", "/latest 21", "/latest drone 0"):
        assert expected in (await ask(emu, CHAT, command)).plain_text, command
    assert "Drone story" in (await ask(emu, CHAT, "/latest 20")).visible


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Could not add notaurl: a feed address starts with http:// or https://"),
        ("ar", "تعذّرت إضافة notaurl: يبدأ عنوان المصدر بـ http:// أو https://"),
    ],
)
async def test_addfeed_of_a_word_says_what_an_address_looks_like(
    bot: object, emu: BotApiEmulator, store: Store, lang: str, expected: str
) -> None:
    """/addfeed with no address (a word, or a host without http://) says so once, plainly."""
    await ask(emu, ADMIN, f"/lang {lang}")
    for raw in ("notaurl", "news.example/rss.xml News"):
        answer = await ask(emu, ADMIN, f"/addfeed {raw}")
        assert answer.plain_text.count(raw.split()[0]) == 1
        assert "only http and https" not in answer.plain_text
    assert expected in (await ask(emu, ADMIN, "/addfeed notaurl")).plain_text
    assert len(await store.catalog.all()) == len(FEEDS)


async def test_arabic_chat_counts_and_lists_in_arabic(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """Sources, rules and the admin views count with Arabic's forms and list with "، "."""
    await ask(emu, CHAT, "/lang ar")
    await ask(emu, CHAT, "/start")
    dropped = await ask(emu, CHAT, "/unsubscribe BBC World")
    assert f"أوقفت: {FSI}BBC World{PDI}. تتابع مصدرين." in dropped.plain_text
    added = await ask(emu, CHAT, "/subscribe bbc-world")
    assert (
        f"تتابع الآن: {FSI}BBC World{PDI}، {FSI}Levant Wire{PDI}، {FSI}عربي بوست{PDI}."
        in added.plain_text
    )
    assert "من كل المصادر (3 مصادر)" in (await ask(emu, CHAT, "/subscribe")).plain_text
    await ask(emu, CHAT, "/watch drone")
    await ask(emu, CHAT, "/watch oil")
    assert "لديك قاعدتان" in (await ask(emu, CHAT, "/start")).plain_text
    await ask(emu, ADMIN, "/lang ar")
    now = datetime.now(UTC)
    await store.feeds.record_success(
        "wire", now - timedelta(minutes=5), validators=None, new_items=4
    )
    await store.feeds.record_failure("bbc-world", now - timedelta(days=2), "HTTP 500")
    await store.feeds.record_failure("bbc-world", now, "HTTP 500")
    feeds = (await ask(emu, ADMIN, "/feeds")).plain_text
    assert "آخر جلب منذ 5 دقائق، 4 أخبار حتى الآن" in feeds
    assert "يتعثر منذ يومين: HTTP 500" in feeds
    await store.counters.add(Event.ITEMS, 12)
    await store.counters.add(Event.SENT, 2)
    await store.counters.add(Event.SEND_RETRIES)
    await store.counters.add(Event.FLOODS, 3)
    stats = (await ask(emu, ADMIN, "/stats")).plain_text
    assert "· قاعدتان" in stats
    assert "آخر ساعة: 12 خبراً جديداً · 0 إخفاق في الجلب · تنبيهان مرسلان" in stats
    assert "· إعادة محاولة واحدة · 3 طلبات إبطاء (429) ·" in stats


async def test_stats_count_one_retry_and_one_slow_down_answer(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """/stats writes one of a thing in the singular: "1 retry · 1 slow-down answer (429)"."""
    await store.counters.add(Event.SEND_RETRIES)
    await store.counters.add(Event.FLOODS)
    await store.counters.add(Event.ITEMS)
    answer = (await ask(emu, ADMIN, "/stats")).plain_text
    assert "Last hour: 1 new item · 0 failed polls · 0 alerts sent · 1 retry" in answer
    assert "· 1 slow-down answer (429) · 0 given up" in answer


async def test_error_answer_in_the_chat_language(
    bot: object, emu: BotApiEmulator, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command that fails is answered with an apology in the chat's language."""
    await ask(emu, CHAT, "/start", language_code="ar")

    async def broken() -> list[Feed]:
        raise RuntimeError("the catalog is unreadable")

    monkeypatch.setattr(store.catalog, "all", broken)
    answer = await ask(emu, CHAT, "/sources", language_code="en")
    assert "حدث خطأ من جهتي" in answer.plain_text


def near(shown: str, pattern: str, expected: datetime) -> bool:
    """Whether the HH:MM that `pattern` finds in `shown` is `expected`'s, give or take a minute."""
    found = re.search(pattern, shown)
    assert found is not None, shown
    return found.group(1) in {f"{expected + timedelta(minutes=m):%H:%M}" for m in (-1, 0, 1)}


async def test_settings_panel_more_choices(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """The daily digest, an open-ended pause and a time zone show in the panel, in its zone."""
    await ask(emu, CHAT, "/start")
    await ask(emu, CHAT, "/tz Asia/Baghdad")
    panel = await ask(emu, CHAT, "/settings")
    baghdad = datetime.now(UTC) + timedelta(hours=3)  # the zone keeps +03 all year
    assert near(panel.plain_text, r"it is (\d\d:\d\d) there", baghdad)
    await press(emu, panel, "Daily at 12:00")
    await press(emu, emu.message(CHAT, panel.message_id), "8 h")
    shown = emu.message(CHAT, panel.message_id).plain_text
    assert "one digest a day at 12:00" in shown
    assert near(shown, r"paused until \d+ \w+ (\d\d:\d\d)", baghdad + timedelta(hours=8))
    await press(emu, emu.message(CHAT, panel.message_id), "Resume")
    await press(emu, emu.message(CHAT, panel.message_id), "Until I resume")
    view = await store.chats.get(CHAT)
    assert (view.mode, view.digest_hour, view.paused, view.paused_until) == (
        "daily", 12, True, None
    )  # fmt: skip
    assert "paused until you resume" in emu.message(CHAT, panel.message_id).plain_text
    await press(emu, emu.message(CHAT, panel.message_id), "No quiet hours")
    assert last_answer(emu) == "Saved"


async def test_resume_after_pause(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """/resume ends a pause."""
    await ask(emu, CHAT, "/start")
    await ask(emu, CHAT, "/pause 2h")
    assert "Alerts are on again" in (await ask(emu, CHAT, "/resume")).plain_text
    assert not (await store.chats.get(CHAT)).is_paused(datetime.now(UTC))


async def test_group_buttons_only_for_admins(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """In a group, anyone may open /settings and /rules, but only admins' presses change them."""
    group, admin, member = -100125, 7, 8
    emu.set_admin(group, admin)
    await ask(emu, group, "/start", user_id=admin, chat_type="supergroup")
    await ask(emu, group, "/watch drone", user_id=admin, chat_type="supergroup")
    panel = await ask(emu, group, "/settings", user_id=member, chat_type="supergroup")
    hourly = buttons(panel)["🕐 Hourly digest"]
    refused = await answered(emu, group, panel.message_id, hourly, user_id=member)
    assert "only its admins" in refused
    listing = await ask(emu, group, "/rules", user_id=member, chat_type="supergroup")
    remove = buttons(listing)["✖ 1"]
    assert "only its admins" in await answered(emu, group, listing.message_id, remove, user_id=8)
    view = await store.chats.get(group)
    assert (view.mode, view.rules) == ("instant", ("drone",))
    # The bot's own admins may, though they do not administer the group.
    assert await answered(emu, group, panel.message_id, hourly, user_id=ADMIN) == "Saved"
    assert (await store.chats.get(group)).mode == "hourly"
    tz = await ask(emu, group, "/tz Asia/Riyadh", user_id=member, chat_type="supergroup")
    assert "only its admins" in tz.plain_text
    shown = await ask(emu, group, "/tz", user_id=member, chat_type="supergroup")
    assert "Your time zone is UTC" in shown.plain_text


async def test_rule_button_answers(bot: object, emu: BotApiEmulator, store: Store) -> None:
    """A removal is confirmed with the rule's text; a stale or forged button says what to do."""
    await ask(emu, CHAT, "/start")
    await ask(emu, CHAT, "/watch <b>oil</b> & gas")
    listing = await ask(emu, CHAT, "/rules")
    data = buttons(listing)["✖ 1"]
    assert len(data.encode()) <= 64
    done = await answered(emu, CHAT, listing.message_id, data)
    assert done == "Removed rule 1: <b>oil</b> & gas"  # plain text: shown as typed
    await emu.wait_for(
        lambda: "You have no rules yet" in emu.message(CHAT, listing.message_id).plain_text,
        what="the list redrawn",
    )
    assert "out of date: send /rules" in await answered(emu, CHAT, listing.message_id, data)
    assert "out of date" in await answered(emu, CHAT, listing.message_id, "rules:rm:x")


async def test_latest_stale_button_and_long_pages(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """A "more" button whose filter expired says so; a page too long for one message is split."""
    await ask(emu, CHAT, "/start")
    base = datetime(2023, 10, 23, 20, 0, tzinfo=UTC)
    await store.items.save(
        [
            Item(id=f"wire:{n}", feed_id="wire", title=f"Story {n:02d} " + "long words " * 20,
                 link=f"https://wire.example/{n}", published=base + timedelta(minutes=n))
            for n in range(30)
        ]
    )  # fmt: skip
    before = len(emu.sent(CHAT))
    emu.send_message(CHAT, "/latest story 20")
    await emu.wait_for(
        lambda: any(buttons(m) for m in emu.sent(CHAT)[before:]), what="the page and its button"
    )
    pages = emu.sent(CHAT)[before:]
    assert len(pages) == 2
    assert all(len(page.plain_text) <= 4096 for page in pages)
    shown = [line[:8] for page in pages for line in page.visible.splitlines()]
    assert [line for line in shown if line.startswith("Story")] == [
        f"Story {n:02d}" for n in range(29, 9, -1)
    ]
    assert buttons(pages[0]) == {}
    more = buttons(pages[1])["More ›"]
    assert len(more.encode()) <= 64
    expired = await answered(emu, CHAT, pages[1].message_id, "latest:20:20:000000000000")
    assert "This list has expired: send /latest again" in expired
    assert "expired" in await answered(emu, CHAT, pages[1].message_id, "latest:x:20:-")


@pytest.mark.parametrize("chat_type", ["private", "supergroup"])
async def test_channel_subscription_refusals(
    bot: object, emu: BotApiEmulator, store: Store, chat_type: str
) -> None:
    """A bot that may not post, a chat that is no channel, or one never linked: a clear answer."""
    channel, user = -1009876543210, 77
    where = user if chat_type == "private" else -100126
    who: dict[str, Any] = {"user_id": user, "chat_type": chat_type}
    emu.add_channel(channel, "desk2", "Desk 2")
    emu.set_admin(channel, user)
    emu.set_admin(channel, emu.bot_id, can_post=False)
    if chat_type != "private":
        emu.set_admin(where, user)
        refused = await ask(emu, where, "/subscribe @desk2", user_id=78, chat_type=chat_type)
        assert "only its admins" in refused.plain_text
    await ask(emu, where, "/start", **who)
    cannot_post = await ask(emu, where, "/subscribe @desk2", **who)
    assert "Make me an admin of @desk2, allowed to post" in cannot_post.plain_text
    emu.send_message(999, "hi", username="someone")  # a user, public by @someone
    not_channel = await ask(emu, where, "/subscribe @someone", **who)
    assert "@someone is not a channel" in not_channel.plain_text
    never = await ask(emu, where, "/unsubscribe @desk2", **who)
    assert "@desk2 does not get this chat's alerts" in never.plain_text
    emu.set_admin(channel, emu.bot_id)
    done = await ask(emu, where, "/subscribe @desk2", **who)
    assert "posted to @desk2" in done.plain_text
    assert (await store.chats.get(channel)).owner == where


async def test_a_command_while_redis_is_away_is_answered_once(emu: BotApiEmulator) -> None:
    """With Redis gone, a command gets one "try again" answer, not one per handler group."""
    with EmbeddedRedis(None) as server:
        # One retry: each Redis call fails in a moment instead of after 7 s of backoff, and a
        # second answer would still come from a second handler group trying on its own.
        client = make_client(server.url, retries=1)
        store = Store(client, retention_seconds=3600)
        try:
            async with running_bot(store, emu):
                await ask(emu, CHAT, "/start")
                server.stop()
                emu.send_message(CHAT, "/rules")
                # Updates are handled one at a time: the admin's answer comes after the rules'.
                emu.send_message(ADMIN, "/help", user_id=ADMIN)
                await emu.wait_sent(ADMIN, 1, timeout=60)
                answers = [m.plain_text for m in emu.sent(CHAT)][1:]
                assert answers == ["Something went wrong on my side; please try again in a minute."]
        finally:
            await client.aclose()


async def test_failed_lists_dead_letters_with_dates_in_the_chats_language(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """/failed shows each dead letter's time with month names in the asking chat's language."""
    await store.deliveries.ensure_groups()
    await store.deliveries.enqueue([Delivery(chat_id=CHAT, item_id="wire:1", rule="drone")])
    (entry,) = await store.deliveries.read([keys.shard_of(CHAT)], "test", 1, None)
    await store.deliveries.dead_letter(entry, "Forbidden: bot was blocked by the user", 3)
    month = datetime.now(UTC).month - 1
    english = (await ask(emu, ADMIN, "/failed")).plain_text
    assert "Forbidden: bot was blocked by the user" in english
    assert text("time.months", "en").split()[month] in english
    await ask(emu, ADMIN, "/lang ar")
    arabic = (await ask(emu, ADMIN, "/failed")).plain_text
    assert text("time.months", "ar").split()[month] in arabic
    assert text("time.months", "en").split()[month] not in arabic


async def test_rules_says_which_stored_rules_the_language_now_refuses(
    bot: object, emu: BotApiEmulator, store: Store
) -> None:
    """A stored rule that no longer compiles is listed as not in use, with the reason."""
    await ask(emu, CHAT, "/start")
    await ask(emu, CHAT, "/watch drone")
    # Stored by an older version that accepted it; today lang: takes only en or ar.
    await store.chats.add_rule(CHAT, "drone lang:fr", 50)
    listed = (await ask(emu, CHAT, "/rules")).plain_text
    assert "1. drone" in listed
    assert "⚠️" not in listed.splitlines()[1]
    assert "2. drone lang:fr ⚠️ not in use since the rule language changed" in listed
    assert "lang: takes en or ar" in listed
    await ask(emu, CHAT, "/lang ar")
    assert "لا تُستخدم منذ تغيّرت لغة القواعد" in (await ask(emu, CHAT, "/rules")).plain_text
