"""The Bot API emulator answers python-telegram-bot's real HTTP stack the way Telegram does."""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from testkit import botapi
from testkit.botapi import ApiError, BotApiEmulator, HtmlParseError, parse_html

CHAT = 1001
GROUP = -1001234567890


@pytest.fixture
def emu() -> Iterator[BotApiEmulator]:
    """A started emulator, stopped after the test."""
    with BotApiEmulator() as emulator:
        yield emulator


def make_bot(emu: BotApiEmulator, token: str | None = None) -> Bot:
    """A real telegram.Bot pointed at the emulator."""
    return Bot(
        token or emu.token,
        base_url=f"{emu.base_url}/bot",
        base_file_url=f"{emu.base_url}/file/bot",
    )


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    """An initialized telegram.Bot talking to the emulator."""
    async with make_bot(emu) as initialized:
        yield initialized


async def test_get_me_through_bot(emu: BotApiEmulator) -> None:
    """Bot.get_me returns the emulated bot user and initialize() works against it."""
    async with make_bot(emu) as bot:
        me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "alertbot_test_bot"
    assert [c.method for c in emu.calls()] == ["getMe", "getMe"]
    assert all(c.http_status == 200 for c in emu.calls())


async def test_send_message_html_is_recorded_with_plain_text(emu: BotApiEmulator, bot: Bot) -> None:
    """An HTML sendMessage is recorded raw, with stripped plain text, markup and preview flag."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Mute", callback_data="mute:1")]])
    text = '<b>Breaking</b>: AT&amp;T &lt;deal&gt; <a href="https://ex.com/?a=1&amp;b=2">read</a>'
    message = await bot.send_message(
        CHAT,
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert message.message_id == 1
    assert message.chat_id == CHAT
    assert message.text == "Breaking: AT&T <deal> read"
    assert message.from_user is not None
    assert message.from_user.id == emu.bot_id
    assert message.entities == (
        MessageEntity(MessageEntity.BOLD, 0, 8),
        MessageEntity(MessageEntity.TEXT_LINK, 22, 4, url="https://ex.com/?a=1&b=2"),
    )
    assert message.reply_markup == markup
    [sent] = emu.sent(CHAT)
    assert sent.text == text
    assert sent.parse_mode == "HTML"
    assert sent.plain_text == "Breaking: AT&T <deal> read"
    assert sent.reply_markup == markup.to_dict()
    assert sent.link_preview_disabled
    assert abs(sent.date - time.time()) < 5
    second = await bot.send_message(CHAT, "plain <b>", disable_web_page_preview=False)
    assert second.message_id == 2
    assert emu.message(CHAT, 2).plain_text == "plain <b>"
    assert not emu.message(CHAT, 2).link_preview_disabled
    assert emu.sent(CHAT + 1) == []


async def test_legacy_disable_web_page_preview_sets_the_flag(emu: BotApiEmulator, bot: Bot) -> None:
    """The older disable_web_page_preview parameter also marks the preview as disabled."""
    await bot.send_message(CHAT, "https://example.com", disable_web_page_preview=True)
    assert emu.sent(CHAT)[0].link_preview_disabled


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("AT&T", 'Unescaped "&"'),
        ("x&nbsp;y", 'Unescaped "&"'),
        ("1 > 0", 'Unescaped ">"'),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("é<b", "Unclosed start tag at byte offset 2"),
    ],
)
async def test_bad_html_is_rejected_as_bad_request(
    emu: BotApiEmulator, bot: Bot, text: str, reason: str
) -> None:
    """Malformed or unescaped HTML answers 400 "can't parse entities", which PTB raises."""
    with pytest.raises(BadRequest, match=r"(?i)parse entities") as caught:
        await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML)
    assert reason.lower() in caught.value.message.lower()
    assert emu.sent() == []
    assert emu.calls("SENDMESSAGE")[0].http_status == 400


def test_html_parser_accepts_every_tag_telegram_allows() -> None:
    """All Telegram tags, numeric entities and a pre block with a language parse to entities."""
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        "<strike>k</strike><del>d</del><code>c</code><span class='tg-spoiler'>p</span>"
        "<tg-spoiler>q</tg-spoiler><blockquote expandable>x</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">&#128077;</tg-emoji>'
        '<pre><code class="language-python">&#x41;</code></pre>&quot;'
    )
    plain, entities = parse_html(text)
    assert plain == 'bsieunskdcpqx👍A"'
    kinds = [e["type"] for e in entities]
    assert kinds == [
        "bold",
        "bold",
        "italic",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "code",
        "spoiler",
        "spoiler",
        "expandable_blockquote",
        "custom_emoji",
        "pre",
    ]
    assert entities[-1] == {"type": "pre", "offset": 15, "length": 1, "language": "python"}
    assert entities[-2]["length"] == 2  # the emoji is two UTF-16 code units
    with pytest.raises(HtmlParseError):
        parse_html("AT&T")
    assert parse_html("AT&T > x", strict=False) == ("AT&T > x", [])


async def test_length_and_empty_text_limits(emu: BotApiEmulator, bot: Bot) -> None:
    """Texts over 4096 characters after entity parsing, and empty texts, are refused."""
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, " \n ")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "<b></b>", parse_mode=ParseMode.HTML)
    # 4096 escaped ampersands are 20480 characters raw but 4096 after parsing.
    await bot.send_message(CHAT, "&amp;" * 4096, parse_mode=ParseMode.HTML)
    assert emu.sent(CHAT)[0].plain_text == "&" * 4096


@pytest.mark.parametrize(
    ("error", "exception", "detail"),
    [
        (ApiError.retry_after(7), RetryAfter, "Flood control exceeded"),
        (ApiError.blocked(), Forbidden, "bot was blocked by the user"),
        (ApiError.kicked(), Forbidden, "bot was kicked from the group chat"),
        (ApiError.deactivated(), Forbidden, "user is deactivated"),
        (ApiError.chat_not_found(), BadRequest, "Chat not found"),
        (ApiError.migrated(GROUP), ChatMigrated, "Group migrated to supergroup"),
        (ApiError.bad_gateway(), NetworkError, "Bad Gateway (502)"),
        (ApiError.server_error(), NetworkError, "Internal Server Error"),
    ],
)
async def test_injected_errors_map_to_ptb_exceptions(
    emu: BotApiEmulator,
    bot: Bot,
    error: ApiError,
    exception: type[TelegramError],
    detail: str,
) -> None:
    """Each canned ApiError makes PTB raise the exception it raises for the real answer."""
    emu.fail("sendMessage", error)
    with pytest.raises(exception) as caught:
        await bot.send_message(CHAT, "hello")
    assert type(caught.value) is exception
    assert detail.lower() in caught.value.message.lower()
    if isinstance(caught.value, RetryAfter):
        assert caught.value.retry_after == dtm.timedelta(seconds=7)
    if isinstance(caught.value, ChatMigrated):
        assert caught.value.new_chat_id == GROUP
    assert emu.calls("sendMessage")[0].http_status == error.http_status
    assert emu.sent() == []
    # The injection is used up: the next call succeeds.
    await bot.send_message(CHAT, "hello")
    assert [m.plain_text for m in emu.sent(CHAT)] == ["hello"]


async def test_injected_errors_respect_chat_and_times(emu: BotApiEmulator, bot: Bot) -> None:
    """fail(chat_id=..., times=n) hits only that chat and only n times."""
    emu.fail("SendMessage", ApiError.blocked(), chat_id=CHAT, times=2)
    await bot.send_message(CHAT + 1, "other chat")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(CHAT, "blocked")
    await bot.send_message(CHAT, "unblocked")
    assert [m.plain_text for m in emu.sent()] == ["other chat", "unblocked"]
    assert [c.http_status for c in emu.calls("sendmessage")] == [200, 403, 403, 200]
    with pytest.raises(ValueError, match="does not implement"):
        emu.fail("sendPigeon", ApiError.blocked())


async def test_wrong_token_raises_invalid_token(emu: BotApiEmulator) -> None:
    """A token the emulator does not know answers 401, which PTB turns into InvalidToken."""
    with pytest.raises(InvalidToken) as caught:
        async with make_bot(emu, token="999:WRONG-token"):
            pass
    # Bot.initialize rewords the error; the server's own answer is the cause.
    assert isinstance(caught.value.__cause__, InvalidToken)
    assert caught.value.__cause__.message == "Unauthorized"
    [call] = emu.calls()
    assert (call.method, call.http_status) == ("getMe", 401)


async def test_unknown_method_answers_404(emu: BotApiEmulator, bot: Bot) -> None:
    """An unknown method answers 404 "method not found", surfacing as EndPointNotFound."""
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendPigeon")
    assert emu.calls("sendPigeon")[0].http_status == 404


async def test_application_polls_and_answers_a_command(emu: BotApiEmulator) -> None:
    """A full Application long-polls, answers /ping, stops cleanly and confirms every update."""

    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("<b>pong</b>", parse_mode=ParseMode.HTML)

    app: Application = (  # type: ignore[type-arg]
        ApplicationBuilder()
        .token(emu.token)
        .base_url(f"{emu.base_url}/bot")
        .base_file_url(f"{emu.base_url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("ping", ping))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        emu.send_message(CHAT, "/ping@alertbot_test_bot now", username="reader")
        [reply] = await emu.wait_sent(CHAT)
        await app.updater.stop()
        await app.stop()
    assert reply.plain_text == "pong"
    assert reply.message_id == 2  # the user's /ping was message 1 of the chat
    assert emu.updates_confirmed()
    methods = [c.method for c in emu.calls()]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    # On stop PTB cancels its long poll mid-request and confirms with one short getUpdates;
    # the abandoned poll is ended with 409, as Telegram ends a superseded poll.
    *polls, cleanup = emu.calls("getUpdates")
    assert (cleanup.params["timeout"], cleanup.params["offset"]) == (0, 2)
    assert cleanup.http_status == 200
    assert polls[-1].params["timeout"] == 1
    assert polls[-1].http_status in {200, 409}


async def test_command_entity_and_long_poll(emu: BotApiEmulator, bot: Bot) -> None:
    """A blocked getUpdates wakes on a queued command, whose entity covers "/cmd@bot"."""
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_for(lambda: emu.polls_started() == 1, what="the long poll to arrive")
    started = time.monotonic()
    update_id = emu.send_message(
        GROUP, "/watch@alertbot_test_bot gaza", user_id=7, chat_type="supergroup"
    )
    updates = await poll
    assert time.monotonic() - started < 2
    [update] = updates
    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.chat.type == "supergroup"
    assert update.message.from_user is not None
    assert update.message.from_user.id == 7
    assert update.message.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 24),)
    assert not emu.updates_confirmed()
    assert await bot.get_updates(offset=update_id + 1) == ()
    assert emu.updates_confirmed()


async def test_stop_wakes_a_blocked_get_updates(emu: BotApiEmulator, bot: Bot) -> None:
    """stop() answers a long poll at once instead of leaving it hanging for its timeout."""
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await emu.wait_for(lambda: emu.polls_started() == 1, what="the long poll to arrive")
    started = time.monotonic()
    await asyncio.to_thread(emu.stop)
    assert await poll == ()
    assert time.monotonic() - started < 3


async def test_polling_conflicts(emu: BotApiEmulator, bot: Bot) -> None:
    """A second getUpdates ends the first with 409, and a set webhook forbids polling."""
    # A second Bot, because PTB's getUpdates connection pool holds a single connection.
    async with make_bot(emu) as rival:
        first = asyncio.create_task(rival.get_updates(timeout=10))
        await emu.wait_for(lambda: emu.polls_started() == 1, what="the first long poll")
        assert await bot.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await first
    await bot.set_webhook("https://example.com/hook")
    assert emu.webhook_url == "https://example.com/hook"
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_edit_message_text(emu: BotApiEmulator, bot: Bot) -> None:
    """Edits change the message, unchanged edits and unknown messages are refused."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    sent = await bot.send_message(CHAT, "<i>v1</i>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<i>v1</i>", CHAT, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("v2", CHAT, 99)
    edited = await bot.edit_message_text(
        "<b>v2</b>", CHAT, sent.message_id, parse_mode="HTML", reply_markup=markup
    )
    assert not isinstance(edited, bool)
    assert edited.text == "v2"
    assert edited.edit_date is not None
    # Leaving reply_markup out removes the keyboard, as on Telegram.
    await bot.edit_message_text("<b>v2</b>", CHAT, sent.message_id, parse_mode="HTML")
    current = emu.message(CHAT, sent.message_id)
    assert (current.text, current.plain_text, current.reply_markup) == ("<b>v2</b>", "v2", None)
    assert [(e.plain_text, e.reply_markup is None) for e in emu.edits(CHAT)] == [
        ("v2", False),
        ("v2", True),
    ]
    assert emu.sent(CHAT)[0].plain_text == "v1"  # sent() keeps what was originally sent


async def test_buttons_and_callback_answers(emu: BotApiEmulator, bot: Bot) -> None:
    """press_button queues a callback_query for the bot's message, answerable exactly once."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Mute", callback_data="mute:9")]])
    sent = await bot.send_message(CHAT, "story", reply_markup=markup)
    emu.press_button(CHAT, sent.message_id, "mute:9")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert query.data == "mute:9"
    assert query.from_user.id == CHAT
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await query.answer("Muted")
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await query.answer()
    with pytest.raises(KeyError):
        emu.press_button(CHAT, 42, "x")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="y" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "story", reply_markup=too_long)


async def test_commands_are_recorded(emu: BotApiEmulator, bot: Bot) -> None:
    """setMyCommands is validated and recorded; getMyCommands and deleteMyCommands follow it."""
    assert emu.commands == []
    await bot.set_my_commands([BotCommand("watch", "Watch a keyword"), ("list", "Your rules")])
    assert emu.commands == [
        {"command": "watch", "description": "Watch a keyword"},
        {"command": "list", "description": "Your rules"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["watch", "list"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Watch", "capital letters are not allowed")])
    await bot.delete_my_commands()
    assert emu.commands == []
    assert await bot.get_my_commands() == ()


async def test_chat_members_and_chat_info(emu: BotApiEmulator, bot: Bot) -> None:
    """getChatMember reports registered admins as administrators and others as members."""
    emu.set_admin(GROUP, 7)
    admin = await bot.get_chat_member(GROUP, 7)
    assert isinstance(admin, ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(GROUP, 8), ChatMemberMember)
    assert [m.user.id for m in await bot.get_chat_administrators(GROUP)] == [7]
    with pytest.raises(BadRequest, match=r"(?i)no administrators in the private chat"):
        await bot.get_chat_administrators(CHAT)
    chat = await bot.get_chat(GROUP)
    assert chat.type == "supergroup"
    assert await bot.send_chat_action(CHAT, "typing")
    assert await bot.close()
    assert await bot.log_out()


async def test_parameter_encodings(emu: BotApiEmulator) -> None:
    """JSON bodies, query strings and multipart forms decode to the same typed parameters."""
    url = f"{emu.base_url}/bot{emu.token}"
    async with httpx.AsyncClient() as client:
        as_json = await client.post(f"{url}/sendMessage", json={"chat_id": CHAT, "text": "123"})
        as_query = await client.get(f"{url}/sendMessage?chat_id={CHAT}&text=true")
        as_multipart = await client.post(
            f"{url}/sendMessage",
            data={"chat_id": str(CHAT), "text": "multi"},
            files={"document": ("a.txt", b"bytes")},
        )
        not_api = await client.get(f"{emu.base_url}/file/bot{emu.token}/photos/1.jpg")
    assert [r.status_code for r in (as_json, as_query, as_multipart)] == [200, 200, 200]
    assert not_api.status_code == 404
    params = [c.params for c in emu.calls("sendMessage")]
    assert params[0] == {"chat_id": CHAT, "text": "123"}
    assert params[1] == {"chat_id": CHAT, "text": "true"}
    assert params[2] == {"chat_id": CHAT, "text": "multi", "document": b"bytes"}
    assert [m.message_id for m in emu.sent(CHAT)] == [1, 2, 3]


async def test_max_rate_counts_sends_in_a_sliding_window(emu: BotApiEmulator, bot: Bot) -> None:
    """max_rate reports the busiest window per chat and across chats."""
    for _ in range(3):
        await bot.send_message(CHAT, "burst one")
    await bot.send_message(CHAT + 1, "elsewhere")
    await asyncio.sleep(1.2)  # well apart from the first burst, even on a busy machine
    sent = await bot.send_message(CHAT, "burst two")
    await bot.edit_message_text("burst two, edited", CHAT, sent.message_id)
    emu.fail("sendMessage", ApiError.retry_after(1))
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "refused")
    assert emu.max_rate(CHAT, 1.0) == 3
    assert emu.max_rate(None, 1.0) == 4
    assert emu.max_rate(CHAT, 10) == 5  # failed sends do not count, edits do
    assert emu.max_rate(CHAT + 2, 10) == 0


async def test_wait_sent_explains_a_timeout(emu: BotApiEmulator, bot: Bot) -> None:
    """wait_sent fails with a message listing what was sent instead."""
    await bot.send_message(CHAT + 1, "went elsewhere")
    with pytest.raises(AssertionError, match="went elsewhere") as caught:
        await emu.wait_sent(CHAT, timeout=0.2)
    assert f"to chat {CHAT}" in str(caught.value)
    with pytest.raises(AssertionError, match="waiting for the impossible"):
        await emu.wait_for(lambda: False, timeout=0.1, what="the impossible")


async def test_enforced_limits_answer_429(bot: Bot) -> None:
    """With limits enforced, a second message to a private chat within a second gets 429."""
    with BotApiEmulator(enforce_limits=True) as strict:
        async with make_bot(strict) as limited:
            await limited.send_message(CHAT, "one")
            with pytest.raises(RetryAfter):
                await limited.send_message(CHAT, "two")
            await limited.send_message(CHAT + 1, "another chat is fine")
    assert strict.breaches == [f"chat {CHAT}: 2 messages within 1 s"]


def stamped_yet(client: socket.socket, connection: socket.socket) -> None:
    """Wait until the kernel stamps what `connection` receives.

    Linux turns stamping on a moment after the first socket asks for it, so the first packets
    may come unstamped.
    """
    for _ in range(100):
        client.sendall(b"x")
        _, ancillary, _, _ = connection.recvmsg(1, socket.CMSG_SPACE(16))
        if ancillary:
            return
        time.sleep(0.01)
    raise AssertionError("the kernel never stamped a packet")


def test_a_request_arrives_when_the_kernel_received_it() -> None:
    """A request read late is dated when its bytes arrived, and is left whole for the parser."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        connection, _ = server.accept()
        with client, connection:
            connection.setsockopt(socket.SOL_SOCKET, botapi._SO_TIMESTAMPNS, 1)
            stamped_yet(client, connection)
            sent = time.monotonic()
            client.sendall(b"GET / HTTP/1.1\r\n\r\n")
            time.sleep(0.3)  # the emulator's thread is busy elsewhere
            arrival = botapi._next_arrival(connection)
            assert arrival is not None
            assert arrival[0] - sent < 0.1
            assert connection.recv(100) == b"GET / HTTP/1.1\r\n\r\n"
            client.shutdown(socket.SHUT_WR)
            assert botapi._next_arrival(connection) is None  # the client closed it
