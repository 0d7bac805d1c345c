"""A local Telegram Bot API emulator that python-telegram-bot talks to over real HTTP."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import email.parser
import email.policy
import json
import logging
import os
import re
import socket
import struct
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import parse_qsl, urlsplit

# PTB warns on every RetryAfter.retry_after access unless this opt-in is set, and the test
# suite turns warnings into errors.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "EditRecord",
    "HtmlParseError",
    "SentMessage",
    "parse_html",
]

_LOGGER = logging.getLogger(__name__)
# How often wait_sent and wait_for look again: every 2 ms for the first 0.1 s, so a test goes on
# as soon as the bot has answered a command, then less and less often (up to 25 ms), so a long
# wait (a fan-out of hundreds) does not hold the interpreter lock that the emulator's threads
# need (a look costs a lock and a list copy).
POLL_STEP = 0.002
POLL_STEP_MAX = 0.025
POLL_QUICK = 50  # looks at POLL_STEP before the steps grow


def _poll_steps() -> Iterator[float]:
    """The pauses between looks: POLL_QUICK of POLL_STEP, then doubling up to POLL_STEP_MAX."""
    for _ in range(POLL_QUICK):
        yield POLL_STEP
    step = POLL_STEP
    while True:
        step = min(POLL_STEP_MAX, step * 2)
        yield step


JSONDict = dict[str, Any]

MAX_MESSAGE_LENGTH: Final = 4096
MAX_CALLBACK_DATA_BYTES: Final = 64
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)

_METHOD_NAMES: Final = (
    "getMe",
    "getUpdates",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "getChat",
    "getChatMember",
    "getChatAdministrators",
    "close",
    "logOut",
)
# Telegram matches method names case-insensitively, so requests are looked up lower-cased.
_CANONICAL: Final = {name.lower(): name for name in _METHOD_NAMES}

# PTB sends str values raw and everything else JSON-encoded, so only these keys can be told
# apart from JSON numbers or booleans that happen to look alike ("123", "true").
_STRING_PARAMS: Final = frozenset(
    {
        "text",
        "parse_mode",
        "url",
        "callback_query_id",
        "action",
        "language_code",
        "secret_token",
        "ip_address",
        "caption",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "custom_title",
    }
)

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_USER_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,})?(?![^\s])")


# ---------------------------------------------------------------------------------------------
# Records and injected errors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiError:
    """An error answer the emulator gives instead of succeeding, shaped like Telegram's."""

    http_status: int
    body: JSONDict | str
    content_type: str = "application/json"

    @staticmethod
    def telegram(
        http_status: int, description: str, parameters: JSONDict | None = None
    ) -> ApiError:
        """Any error in Telegram's JSON error format."""
        body: JSONDict = {"ok": False, "error_code": http_status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return ApiError(http_status, body)

    @staticmethod
    def retry_after(seconds: int) -> ApiError:
        """Flood control: 429 with parameters.retry_after."""
        return ApiError.telegram(
            429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
        )

    @staticmethod
    def blocked() -> ApiError:
        """The user blocked the bot."""
        return ApiError.telegram(403, "Forbidden: bot was blocked by the user")

    @staticmethod
    def kicked() -> ApiError:
        """The bot was removed from the group."""
        return ApiError.telegram(403, "Forbidden: bot was kicked from the group chat")

    @staticmethod
    def deactivated() -> ApiError:
        """The user deleted their account."""
        return ApiError.telegram(403, "Forbidden: user is deactivated")

    @staticmethod
    def chat_not_found() -> ApiError:
        """The chat does not exist or the bot never saw it."""
        return ApiError.telegram(400, "Bad Request: chat not found")

    @staticmethod
    def migrated(new_chat_id: int) -> ApiError:
        """The group became a supergroup with a new id."""
        return ApiError.telegram(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )

    @staticmethod
    def bad_gateway() -> ApiError:
        """Telegram's front proxy failing: 502 with an HTML body, not JSON."""
        html = (
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return ApiError(502, html, "text/html")

    @staticmethod
    def server_error() -> ApiError:
        """A 500 from the Bot API itself."""
        return ApiError.telegram(500, "Internal Server Error")

    @property
    def description(self) -> str:
        """The description Telegram would give, or the raw body for non-JSON errors."""
        if isinstance(self.body, dict):
            return str(self.body.get("description", ""))
        return self.body


# The bot's invisible direction controls: LRM, RLM and the isolates (LRI, RLI, FSI, PDI).
INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent, as it stands (after edits when read through `message`)."""

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    link_preview_disabled: bool
    date: float
    plain_text: str

    @property
    def visible(self) -> str:
        """The plain text as a reader sees it: without direction marks and isolates."""
        return self.plain_text.translate(INVISIBLE)


@dataclass(frozen=True)
class EditRecord:
    """One successful editMessageText call."""

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    date: float
    plain_text: str


@dataclass(frozen=True)
class ApiCall:
    """One HTTP call the bot made; `time` is when it arrived, `http_status` how it ended."""

    method: str
    params: JSONDict
    time: float
    http_status: int


class _Failure(Exception):
    """Raised inside a method handler to answer with a Telegram error."""

    def __init__(self, http_status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.error = ApiError.telegram(http_status, description, parameters)


def _bad_request(description: str) -> _Failure:
    return _Failure(400, f"Bad Request: {description}")


@dataclass
class _Injection:
    method: str
    error: ApiError
    chat_id: int | None
    remaining: int


@dataclass
class _StoredMessage:
    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    link_preview_disabled: bool
    date: float
    plain_text: str
    entities: list[JSONDict]
    edit_date: float | None = None

    def snapshot(self) -> SentMessage:
        return SentMessage(
            chat_id=self.chat_id,
            message_id=self.message_id,
            text=self.text,
            parse_mode=self.parse_mode,
            reply_markup=self.reply_markup,
            link_preview_disabled=self.link_preview_disabled,
            date=self.date,
            plain_text=self.plain_text,
        )


def _post_update(url: str, secret: str, update: JSONDict, attempts: int = 10) -> None:
    """Deliver one update to a webhook, retrying a while as Telegram does when it fails."""
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=10):
                return
        except OSError as exc:
            if attempt == attempts:
                logging.getLogger(__name__).warning("webhook POST to %s failed: %s", url, exc)
            time.sleep(0.2 * attempt)


@dataclass
class _Update:
    update_id: int
    kind: str
    payload: JSONDict = field(default_factory=dict)

    def to_json(self) -> JSONDict:
        return {"update_id": self.update_id, self.kind: self.payload}


# ---------------------------------------------------------------------------------------------
# Telegram's HTML dialect
# ---------------------------------------------------------------------------------------------


class HtmlParseError(ValueError):
    """Raised by `parse_html` with the reason Telegram would give after "can't parse entities"."""


_ALLOWED_TAGS: Final = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "blockquote",
        "span",
        "tg-spoiler",
        "tg-emoji",
    }
)
_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY_RE: Final = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE: Final = re.compile(r"[A-Za-z0-9-]*")
_ATTR_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]*")
# Telegram trims these from both ends of a message text.
_TRIMMED: Final = " \t\n\r\v\f"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity_at(text: str, pos: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY_RE.match(text, pos)
    if match is None:
        return None
    decimal, hexadecimal, named = match.groups()
    if named is not None:
        return _NAMED_ENTITIES[named], match.end()
    code_point = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
        return None
    return chr(code_point), match.end()


def _decode_attribute(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        decoded = _decode_entity_at(match.string, match.start())
        return decoded[0] if decoded else match.group(0)

    return _HTML_ENTITY_RE.sub(one, value)


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    start: int  # UTF-16 offset in the plain text, as Telegram counts entity offsets
    byte_offset: int


class _HtmlParser:
    """Walks the text once, building plain text and entities, failing like Telegram does."""

    def __init__(self, text: str, *, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.pieces: list[str] = []
        self.position = 0  # UTF-16 units emitted so far
        self.stack: list[_OpenTag] = []
        self.entities: list[JSONDict] = []

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def fail(self, reason: str, index: int | None = None) -> HtmlParseError:
        suffix = "" if index is None else f" at byte offset {self.byte_offset(index)}"
        return HtmlParseError(reason + suffix)

    def emit(self, chunk: str) -> None:
        self.pieces.append(chunk)
        self.position += _utf16_len(chunk)

    def parse(self) -> tuple[str, list[JSONDict]]:
        text = self.text
        index = 0
        while index < len(text):
            char = text[index]
            if char == "<":
                index = self.end_tag(index) if text.startswith("</", index) else self.tag(index)
            elif char == "&":
                decoded = _decode_entity_at(text, index)
                if decoded is None:
                    if self.strict:
                        raise self.fail('Unescaped "&" (write &amp;)', index)
                    decoded = ("&", index + 1)
                self.emit(decoded[0])
                index = decoded[1]
            elif char == ">" and self.strict:
                raise self.fail('Unescaped ">" (write &gt;)', index)
            else:
                # Copy the run of ordinary characters in one go.
                end = index + 1
                while end < len(text) and text[end] not in "<&>":
                    end += 1
                self.emit(text[index:end])
                index = end
        if self.stack:
            name = self.stack[-1].name
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.pieces), self.entities

    def tag(self, start: int) -> int:
        text = self.text
        name_match = _TAG_NAME_RE.match(text, start + 1)
        assert name_match is not None  # the pattern matches the empty string
        name = name_match.group(0).lower()
        if name not in _ALLOWED_TAGS:
            raise self.fail(f'Unsupported start tag "{name}"', start)
        index = name_match.end()
        attributes: dict[str, str] = {}
        while True:
            while index < len(text) and text[index].isspace():
                index += 1
            if index >= len(text):
                raise self.fail("Unclosed start tag", start)
            if text[index] == ">":
                break
            attr_match = _ATTR_NAME_RE.match(text, index)
            assert attr_match is not None
            attr_name = attr_match.group(0).lower()
            if not attr_name:
                raise self.fail(f'Empty attribute name in the tag "{name}"', index)
            index = attr_match.end()
            while index < len(text) and text[index].isspace():
                index += 1
            if index < len(text) and text[index] == "=":
                index, value = self.attribute_value(name, index + 1)
            else:
                value = ""  # a bare attribute such as <blockquote expandable>
            attributes[attr_name] = value
        self.check_attributes(name, attributes, start)
        self.stack.append(_OpenTag(name, attributes, self.position, self.byte_offset(start)))
        return index + 1

    def attribute_value(self, tag: str, index: int) -> tuple[int, str]:
        text = self.text
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            raise self.fail(f'Unclosed start tag "{tag}"', index)
        quote = text[index]
        if quote in "\"'":
            end = text.find(quote, index + 1)
            if end == -1:
                raise self.fail(f'Unclosed attribute value in the tag "{tag}"', index)
            return end + 1, _decode_attribute(text[index + 1 : end])
        end = index
        while end < len(text) and not text[end].isspace() and text[end] != ">":
            end += 1
        return end, _decode_attribute(text[index:end])

    def check_attributes(self, name: str, attributes: dict[str, str], start: int) -> None:
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise self.fail('Tag "span" must have class "tg-spoiler"', start)
        if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise self.fail('Tag "tg-emoji" must have a numeric attribute "emoji-id"', start)

    def end_tag(self, start: int) -> int:
        close = self.text.find(">", start)
        if close == -1:
            raise self.fail("Unclosed end tag", start)
        name = self.text[start + 2 : close].strip().lower()
        if not self.stack:
            raise self.fail("Unexpected end tag", start)
        opened = self.stack.pop()
        if name != opened.name:
            raise self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(start)}, expected "
                f'"</{opened.name}>", found "</{name}>"'
            )
        self.add_entity(opened)
        return close + 1

    def add_entity(self, opened: _OpenTag) -> None:
        length = self.position - opened.start
        entity: JSONDict = {
            "type": _ENTITY_TYPES[opened.name],
            "offset": opened.start,
            "length": length,
        }
        if opened.name == "a":
            href = opened.attributes.get("href")
            if not href:
                return  # Telegram drops links without a target and keeps their text
            entity["url"] = href
        elif opened.name == "tg-emoji":
            entity["custom_emoji_id"] = opened.attributes["emoji-id"]
        elif opened.name == "blockquote" and "expandable" in opened.attributes:
            entity["type"] = "expandable_blockquote"
        elif opened.name == "code" and self.stack and self.stack[-1].name == "pre":
            # <pre><code class="language-x"> is how Telegram spells a pre block with a language.
            language = opened.attributes.get("class", "")
            if language.startswith("language-"):
                self.stack[-1].attributes["language"] = language.removeprefix("language-")
            return
        elif opened.name == "pre" and opened.attributes.get("language"):
            entity["language"] = opened.attributes["language"]
        if length > 0:
            self.entities.append(entity)


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into (plain text, MessageEntity dicts) or raise.

    With ``strict`` (the default) a bare ``&`` or ``>`` is an error too. Real Telegram lets
    those through, but in a bot that builds HTML they almost always mean a missing escape.
    """
    return _HtmlParser(text, strict=strict).parse()


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace the way Telegram does and shift the entities with it."""
    stripped = text.strip(_TRIMMED)
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    end_limit = lead + _utf16_len(stripped)
    trimmed: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"], lead)
        end = min(entity["offset"] + entity["length"], end_limit)
        if end > start:
            trimmed.append({**entity, "offset": start - lead, "length": end - start})
    return stripped, trimmed


# ---------------------------------------------------------------------------------------------
# Request decoding
# ---------------------------------------------------------------------------------------------


def _decode_value(key: str, raw: str) -> Any:
    if key in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _decode_form(pairs: list[tuple[str, str]]) -> JSONDict:
    return {key: _decode_value(key, value) for key, value in pairs}


def _decode_multipart(content_type: str, body: bytes) -> JSONDict:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("multipart body without parts")
    params: JSONDict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            params[name] = content  # an uploaded file: keep its bytes
        else:
            charset = part.get_content_charset() or "utf-8"
            params[name] = _decode_value(name, content.decode(charset))
    return params


def decode_params(query: str, content_type: str, body: bytes) -> JSONDict:
    """Decode Bot API parameters from a query string plus a form, multipart or JSON body."""
    params = _decode_form(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if media_type == "application/json":
        loaded = json.loads(body.decode("utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError("JSON body must be an object")
        params.update(loaded)
    elif media_type == "multipart/form-data":
        params.update(_decode_multipart(content_type, body))
    else:
        # PTB's default: application/x-www-form-urlencoded
        params.update(_decode_form(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
    return params


def _as_int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(float(str(value)))
    except ValueError as exc:
        raise _bad_request(f"invalid integer value {value!r}") from exc


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def _as_json(value: Any, what: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise _bad_request(f"can't parse {what} JSON object") from exc
    return value


# ---------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Bursty tests open many connections at once; the default backlog of 5 would refuse some.
    request_queue_size = 128

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up on a long poll (PTB cancels it on stop) leaves a dead socket.
        _LOGGER.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive like the real API, so PTB's connection pool behaves as it does in production.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the body waits for the
    # client's delayed ACK of the headers (40 ms on Linux) on every call of a kept-alive connection.
    disable_nagle_algorithm = True
    server: _Server

    arrived: tuple[float, float] = (0.0, 0.0)  # the request's arrival: (monotonic, wall) time

    def setup(self) -> None:
        super().setup()
        # The kernel stamps the bytes of each request as they arrive; the emulator counts a
        # message then, as Telegram does, not when a thread of this busy process gets to it (on
        # 2 loaded cores that came 100 ms late and made 30 messages a second look like 31).
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def handle_one_request(self) -> None:
        arrived = _next_arrival(self.connection)
        if arrived is None:  # the client closed the connection (or it broke)
            self.close_connection = True
            return
        self.arrived = arrived
        super().handle_one_request()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        _LOGGER.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self.serve()

    def do_POST(self) -> None:
        self.serve()

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # Skip trailers up to the blank line that ends the body.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def serve(self) -> None:
        emulator = self.server.emulator
        with emulator.answering():
            body = self.read_body()
            url = urlsplit(self.path)
            status, payload, content_type = emulator._handle_http(
                url.path, url.query, self.headers.get("Content-Type", ""), body, self.arrived
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)


# Linux's option for nanosecond receive timestamps (the socket module names it only on some
# builds); where it is missing, the arrival is taken when the request is read.
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def _next_arrival(connection: socket.socket) -> tuple[float, float] | None:
    """Wait for the next request on a kept-alive connection; when it arrived (monotonic, wall).

    Peeks at its first byte (left for the request parser) with the kernel's receive stamp. The
    emulator's clients (python-telegram-bot over httpx, urllib) never pipeline, so nothing of
    the next request already waits in the handler's read buffer. None: the connection ended.
    """
    try:
        data, ancillary, _, _ = connection.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
    except OSError:
        return None
    if not data:
        return None
    monotonic, wall = time.monotonic(), time.time()
    for level, kind, stamp in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(stamp) >= 16:
            seconds, nanoseconds = struct.unpack("qq", stamp[:16])
            late = max(0.0, wall - (seconds + nanoseconds / 1e9))
            return monotonic - late, wall - late
    return monotonic, wall


def _busiest(times: list[float], at: float, window: float) -> int:
    """The most of `times` that one span of `window` seconds holding `at` also holds."""
    near = sorted(t for t in times if abs(t - at) < window)
    starts = [t for t in near if t <= at] + [at]  # the busiest span starts at a send, or at `at`
    return max(
        bisect.bisect_left(near, start + window) - bisect.bisect_left(near, start)
        for start in starts
    )


def _render(error: ApiError) -> tuple[int, bytes, str]:
    if isinstance(error.body, dict):
        payload = json.dumps(error.body).encode("utf-8")
    else:
        payload = error.body.encode("utf-8")
    return error.http_status, payload, error.content_type


# ---------------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------------

_MethodHandler = Callable[["BotApiEmulator", JSONDict], Any]


class BotApiEmulator:
    """An in-process Bot API server with scriptable users and injectable Telegram errors.

    Message ids are counted per chat and shared by the user's and the bot's messages, as in
    real private chats: after one `send_message` from the user the bot's reply gets id 2.
    HTML is checked strictly (see `parse_html`); pass ``strict_html=False`` to accept bare
    ``&`` and ``>`` as Telegram itself does. All state sits behind one lock, so the helpers
    may be called from the test while server threads answer the bot.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token_abcdefghijklmnopqrstuvwx",
        *,
        bot_id: int = 123456,
        username: str = "alertbot_test_bot",
        strict_html: bool = True,
        enforce_limits: bool = False,
    ) -> None:
        """Prepare an emulator; nothing listens until `start`.

        With `enforce_limits`, a message over Telegram's limits (30 a second for the bot, 1 a
        second per private chat, 20 a minute per group) is answered 429 and recorded as a breach.
        """
        self.token = token
        self.bot_id = bot_id
        self.enforce_limits = enforce_limits
        self._breaches: list[str] = []
        self._request = threading.local()  # what the serving thread knows of its request
        self.username = username
        self.strict_html = strict_html
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._answering = 0  # requests between their arrival and their written answer
        self._stopped = False
        self._updates: list[_Update] = []
        self._next_update_id = 1
        self._poll_generation = 0
        self._allowed_updates: list[str] = []
        self._webhook_url = ""
        self._webhook_secret = ""
        self.webhook_posts = 0  # updates delivered to a webhook
        self._messages: dict[tuple[int, int], _StoredMessage] = {}
        self._last_message_id: dict[int, int] = {}
        self._sent: list[SentMessage] = []
        self._edits: list[EditRecord] = []
        self._calls: list[ApiCall] = []
        self._call_order: list[int] = []  # arrival sequence numbers, parallel to _calls
        self._next_call = 0
        self._send_times: list[tuple[int, float]] = []
        self._recent: deque[tuple[int, float]] = deque()  # sends of the last minute
        self._chats: dict[int, JSONDict] = {}
        self._users: dict[int, JSONDict] = {}
        self._admins: dict[int, dict[int, str]] = {}
        self._no_posting: set[tuple[int, int]] = set()  # channel admins without can_post_messages
        self._open_queries: set[str] = set()
        self._next_query_id = 1
        self._injections: list[_Injection] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._last_commands: list[JSONDict] = []

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on 127.0.0.1 on a free port, serving from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the emulator was already started")
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="botapi-emulator",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, answer blocked getUpdates with no updates, and drop open connections.

        Requests being answered (a long poll just woken) finish writing first, for up to 2 s:
        a connection dropped between an answer's headers and its body is no answer at all.
        """
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._answering == 0, timeout=2.0)
        server = self._server
        if server is None or self._stopped:
            return
        self._stopped = True
        server.shutdown()
        with server.connections_lock:
            open_connections = list(server.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Count a request as being answered until its response is written (see `stop`)."""
        with self._cond:
            self._answering += 1
        try:
            yield
        finally:
            with self._cond:
                self._answering -= 1
                self._cond.notify_all()

    def __enter__(self) -> Self:
        """Start the emulator."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the emulator."""
        self.stop()

    @property
    def base_url(self) -> str:
        """Root URL of the server, e.g. http://127.0.0.1:PORT."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_base_url(self) -> str:
        """What to pass as PTB's ``base_url``."""
        return f"{self.base_url}/bot"

    @property
    def file_base_url(self) -> str:
        """What to pass as PTB's ``base_file_url``."""
        return f"{self.base_url}/file/bot"

    # -- playing the user ---------------------------------------------------------------------

    def send_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
        language_code: str = "en",
        chat_title: str | None = None,
    ) -> int:
        """Queue a message from a user to the bot and return its update_id."""
        if user_id is None:
            if chat_type != "private":
                raise ValueError("user_id is required for messages in group chats")
            user_id = chat_id
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        user["language_code"] = language_code
        if chat_type == "private":
            chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name}
            if username is not None:
                chat["username"] = username
        else:
            chat = {"id": chat_id, "type": chat_type, "title": chat_title or f"Chat {chat_id}"}
        message: JSONDict = {"from": user, "chat": chat, "text": text}
        command = _USER_COMMAND_RE.match(text)
        if command is not None:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command.group(0))}
            ]
        with self._cond:
            self._users[user_id] = user
            self._chats[chat_id] = chat
            message = {
                "message_id": self._new_message_id(chat_id),
                "date": int(time.time()),
                **message,
            }
            return self._queue("message", message)

    def press_button(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> int:
        """Queue a callback_query for a button on a message the bot sent; return update_id."""
        with self._cond:
            stored = self._messages.get((chat_id, message_id))
            if stored is None:
                raise KeyError(f"the bot sent no message {message_id} to chat {chat_id}")
            if user_id is None:
                if self._chat(chat_id)["type"] != "private":
                    raise ValueError("user_id is required for buttons in group chats")
                user_id = chat_id
            query_id = str(self._next_query_id)
            self._next_query_id += 1
            self._open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": self._user(user_id),
                "message": self._message_json(stored),
                "chat_instance": str(abs(hash((self.bot_id, chat_id)))),
                "data": data,
            }
            return self._queue("callback_query", query)

    def queue_update(self, kind: str, payload: JSONDict) -> int:
        """Queue any other update, e.g. ``queue_update("my_chat_member", {...})``."""
        with self._cond:
            return self._queue(kind, payload)

    def add_channel(self, chat_id: int, username: str, title: str = "Channel") -> None:
        """Make a public channel known, so getChat finds it by @username."""
        with self._cond:
            self._chats[chat_id] = {
                "id": chat_id, "type": "channel", "title": title, "username": username
            }  # fmt: skip

    def set_admin(
        self, chat_id: int, user_id: int, *, owner: bool = False, can_post: bool = True
    ) -> None:
        """Make getChatMember report the user as administrator (or owner) of the chat.

        In a channel, an administrator without `can_post` may not post messages.
        """
        with self._cond:
            self._admins.setdefault(chat_id, {})[user_id] = "creator" if owner else "administrator"
            if not can_post:
                self._no_posting.add((chat_id, user_id))
            else:
                self._no_posting.discard((chat_id, user_id))

    # -- reading what the bot did -------------------------------------------------------------

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        """Successful sendMessage calls in order, optionally only those to one chat."""
        with self._cond:
            return [m for m in self._sent if chat_id is None or m.chat_id == chat_id]

    def edits(self, chat_id: int | None = None) -> list[EditRecord]:
        """Successful editMessageText calls in order, optionally only those in one chat."""
        with self._cond:
            return [e for e in self._edits if chat_id is None or e.chat_id == chat_id]

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """The current state of a message the bot sent (text and markup after edits)."""
        with self._cond:
            stored = self._messages.get((chat_id, message_id))
            if stored is None:
                raise KeyError(f"the bot has no message {message_id} in chat {chat_id}")
            return stored.snapshot()

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every finished call in arrival order, optionally of one method (any letter case)."""
        wanted = method.lower() if method is not None else None
        with self._cond:
            return [c for c in self._calls if wanted is None or c.method.lower() == wanted]

    @property
    def commands(self) -> list[JSONDict]:
        """The command list of the last setMyCommands call ([] before one or after delete)."""
        with self._cond:
            return [dict(c) for c in self._last_commands]

    def menu(self, chat_id: int | None = None, language: str = "") -> list[str]:
        """The command names set for everyone (or for one chat's scope), in one language."""
        scope = {"type": "default"} if chat_id is None else {"type": "chat", "chat_id": chat_id}
        with self._cond:
            found = self._commands.get((json.dumps(scope, sort_keys=True), language), [])
            return [c["command"] for c in found]

    @property
    def webhook_url(self) -> str:
        """The webhook URL currently set ("" when polling)."""
        with self._cond:
            return self._webhook_url

    def polls_started(self) -> int:
        """How many getUpdates calls have reached the server (finished or still waiting)."""
        with self._cond:
            return self._poll_generation

    def updates_confirmed(self) -> bool:
        """True when getUpdates confirmed (by offset) every update queued so far."""
        with self._cond:
            return not self._updates

    def max_rate(self, chat_id: int | None, window: float) -> int:
        """Most successful sends/edits (to one chat, or any) within any `window` seconds."""
        with self._cond:
            times = sorted(t for c, t in self._send_times if chat_id is None or c == chat_id)
        best = 0
        first = 0
        for last, moment in enumerate(times):
            while moment - times[first] >= window:
                first += 1
            best = max(best, last - first + 1)
        return best

    # The timeout parameters are part of the agreed test API, hence the ASYNC109 waivers.
    async def wait_sent(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Wait until at least `count` messages were sent to the chat; return all sent there."""
        deadline = time.monotonic() + timeout
        steps = _poll_steps()
        while True:
            messages = self.sent(chat_id)
            if len(messages) >= count:
                return messages
            if time.monotonic() >= deadline:
                raise AssertionError(self._describe_shortfall(chat_id, count, timeout, messages))
            await asyncio.sleep(next(steps))

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Wait until predicate() is true, or fail naming `what`."""
        deadline = time.monotonic() + timeout
        steps = _poll_steps()
        while not predicate():
            if time.monotonic() >= deadline:
                recent = [f"{c.method} -> {c.http_status}" for c in self.calls()[-10:]]
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; last calls: {recent}"
                )
            await asyncio.sleep(next(steps))

    def _describe_shortfall(
        self, chat_id: int, count: int, timeout: float, messages: list[SentMessage]
    ) -> str:
        everything = [(m.chat_id, m.plain_text) for m in self.sent()]
        failures = [
            f"{c.method}({c.params.get('chat_id')}) -> {c.http_status}"
            for c in self.calls()
            if c.http_status != 200
        ]
        return (
            f"expected at least {count} message(s) to chat {chat_id} within {timeout}s, "
            f"got {len(messages)}: {[m.plain_text for m in messages]!r}; "
            f"everything sent (chat, text): {everything!r}; failed calls: {failures}"
        )

    # -- injecting errors ---------------------------------------------------------------------

    def fail(
        self, method: str, error: ApiError, *, chat_id: int | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` (optionally only for one chat) with error."""
        canonical = _CANONICAL.get(method.lower())
        if canonical is None:
            raise ValueError(f"the emulator does not implement {method!r}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._cond:
            self._injections.append(_Injection(canonical, error, chat_id, times))

    # -- request handling (runs on server threads) --------------------------------------------

    def _handle_http(
        self,
        path: str,
        query: str,
        content_type: str,
        body: bytes,
        arrival: tuple[float, float],
    ) -> tuple[int, bytes, str]:
        self._request.arrived, arrived = arrival
        with self._cond:
            sequence = self._next_call
            self._next_call += 1
        match = re.fullmatch(r"/bot([^/]*)/([^/]+)", path)
        if match is None:
            return _render(ApiError.telegram(404, "Not Found"))  # e.g. file downloads
        token, raw_method = match.groups()
        method = _CANONICAL.get(raw_method.lower(), raw_method)
        try:
            params = decode_params(query, content_type, body)
        except (ValueError, UnicodeDecodeError) as exc:
            params = {}
            outcome: tuple[int, bytes, str] | None = _render(
                ApiError.telegram(400, f"Bad Request: can't parse request body: {exc}")
            )
        else:
            outcome = None
        with self._cond:
            if outcome is None:
                outcome = self._answer(token, method, params)
            # Listed in arrival order, although a long poll finishes after later calls.
            position = bisect.bisect(self._call_order, sequence)
            self._call_order.insert(position, sequence)
            self._calls.insert(position, ApiCall(method, params, arrived, outcome[0]))
        return outcome

    def _answer(self, token: str, method: str, params: JSONDict) -> tuple[int, bytes, str]:
        if token != self.token:
            return _render(ApiError.telegram(401, "Unauthorized"))
        handler = _HANDLERS.get(method)
        if handler is None:
            return _render(ApiError.telegram(404, "Not Found: method not found"))
        injected = self._take_injection(method, params)
        if injected is not None:
            return _render(injected)
        try:
            result = handler(self, params)
        except _Failure as failure:
            return _render(failure.error)
        except Exception as exc:
            # An emulator bug must fail the test loudly rather than hang up on the client.
            _LOGGER.exception("emulator failed on %s", method)
            return _render(ApiError.telegram(500, f"Internal Server Error: emulator bug: {exc!r}"))
        payload = json.dumps({"ok": True, "result": result}).encode("utf-8")
        return 200, payload, "application/json"

    def _take_injection(self, method: str, params: JSONDict) -> ApiError | None:
        for injection in self._injections:
            if injection.method != method:
                continue
            if injection.chat_id is not None and self._target_chat(params) != injection.chat_id:
                continue
            injection.remaining -= 1
            if injection.remaining == 0:
                self._injections.remove(injection)
            return injection.error
        return None

    def _target_chat(self, params: JSONDict) -> int | None:
        """The chat a call concerns: its chat_id, or the chat of a command scope."""
        try:
            return self._chat_id(params)
        except _Failure:
            pass
        try:
            scope = _as_json(params.get("scope"), "scope")
        except _Failure:
            return None
        if isinstance(scope, dict) and scope.get("chat_id") is not None:
            return _as_int(scope["chat_id"], 0)
        return None

    # -- state helpers (callers hold the lock) ------------------------------------------------

    def _queue(self, kind: str, payload: JSONDict) -> int:
        update = _Update(self._next_update_id, kind, payload)
        self._next_update_id += 1
        if self._webhook_url:  # Telegram POSTs each update to the webhook instead of queueing it
            url, secret = self._webhook_url, self._webhook_secret
            threading.Thread(
                target=_post_update, args=(url, secret, update.to_json()), daemon=True
            ).start()
            self.webhook_posts += 1
            return update.update_id
        self._updates.append(update)
        self._cond.notify_all()
        return update.update_id

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "AlertBot Test",
            "username": self.username,
        }

    def _user(self, user_id: int) -> JSONDict:
        if user_id == self.bot_id:
            return self._bot_user()
        default: JSONDict = {"id": user_id, "is_bot": False, "first_name": "Test"}
        return dict(self._users.get(user_id, default))

    def _chat(self, chat_id: int) -> JSONDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        # Chats the bot was never told about get a plausible shape from their id's sign,
        # as Telegram's ids do: users positive, supergroups -100..., basic groups negative.
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test"}
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _chat_id(self, params: JSONDict) -> int:
        value = params.get("chat_id")
        if value is None or value == "":
            raise _bad_request("chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
            return int(value)
        if isinstance(value, str) and value.startswith("@"):  # a public chat by its username
            wanted = value[1:].casefold()
            for chat_id, chat in self._chats.items():
                if str(chat.get("username", "")).casefold() == wanted:
                    return chat_id
        raise _bad_request("chat not found")

    def _message_json(self, stored: _StoredMessage) -> JSONDict:
        message: JSONDict = {
            "message_id": stored.message_id,
            "from": self._bot_user(),
            "chat": self._chat(stored.chat_id),
            "date": int(stored.date),
            "text": stored.plain_text,
        }
        if stored.edit_date is not None:
            message["edit_date"] = int(stored.edit_date)
        if stored.entities:
            message["entities"] = stored.entities
        if stored.reply_markup is not None and "inline_keyboard" in stored.reply_markup:
            # Only inline keyboards belong to a message; reply keyboards live in the client.
            message["reply_markup"] = stored.reply_markup
        if stored.link_preview_disabled:
            message["link_preview_options"] = {"is_disabled": True}
        return message

    def _pending(self, offset: int) -> list[_Update]:
        if self._allowed_updates:
            # Telegram never stores updates of kinds the bot did not ask for.
            self._updates = [u for u in self._updates if u.kind in self._allowed_updates]
        return [u for u in self._updates if u.update_id >= offset]

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u.update_id >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def _arrival(self) -> float:
        """When the request being answered arrived (monotonic clock): Telegram counts then."""
        return getattr(self._request, "arrived", None) or time.monotonic()

    def _record_send(self, chat_id: int) -> None:
        at = self._arrival()
        self._send_times.append((chat_id, at))
        self._recent.append((chat_id, at))

    def _check_limits(self, chat_id: int) -> None:
        """Answer 429 (and record a breach) when this message would pass Telegram's limits.

        A message counts when it arrived, not when this server got round to it: requests are
        answered one at a time (behind `_cond`), so one may be checked after another that
        arrived later. Every window that holds its arrival is checked, those that reach past
        it too.
        """
        if not self.enforce_limits:
            return
        at = self._arrival()
        while self._recent and at - self._recent[0][1] >= 61.0:  # the longest window, and some
            self._recent.popleft()
        window, allowed = (60.0, 20) if chat_id < 0 else (1.0, 1)
        to_chat = _busiest([t for c, t in self._recent if c == chat_id], at, window)
        to_all = _busiest([t for _, t in self._recent], at, 1.0)
        if to_chat >= allowed:
            breach = f"chat {chat_id}: {to_chat + 1} messages within {window:g} s"
        elif to_all >= 30:
            breach = f"bot: {to_all + 1} messages within 1 s"
        else:
            return
        self._breaches.append(breach)
        raise _Failure(429, "Too Many Requests: retry after 1", {"retry_after": 1})

    @property
    def breaches(self) -> list[str]:
        """Messages that would have passed Telegram's limits (only with enforce_limits)."""
        with self._cond:
            return list(self._breaches)

    # -- text validation ----------------------------------------------------------------------

    def _formatted_text(self, params: JSONDict) -> tuple[str, str | None, str, list[JSONDict]]:
        """Return (raw text, parse_mode, plain text, entities) or raise Telegram's 400."""
        raw = params.get("text")
        text = "" if raw is None else str(raw)
        mode_value = params.get("parse_mode")
        parse_mode = str(mode_value) if mode_value not in (None, "") else None
        if parse_mode is not None and parse_mode.lower() == "html":
            try:
                plain, entities = parse_html(text, strict=self.strict_html)
            except HtmlParseError as exc:
                raise _bad_request(f"can't parse entities: {exc}") from exc
        elif parse_mode is None or parse_mode.lower() in {"markdown", "markdownv2"}:
            # Only HTML is validated; Markdown text is recorded exactly as sent.
            plain, entities = text, []
        else:
            raise _bad_request("unsupported parse_mode")
        plain, entities = _trim(plain, entities)
        if not plain:
            raise _bad_request("message text is empty")
        if len(plain) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return text, parse_mode, plain, entities

    def _reply_markup(self, params: JSONDict) -> JSONDict | None:
        value = params.get("reply_markup")
        if value is None or value == "":
            return None
        markup = _as_json(value, "reply keyboard markup")
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is not None:
            for row in rows:
                for button in row:
                    self._check_button(button)
        return markup

    @staticmethod
    def _check_button(button: JSONDict) -> None:
        if not button.get("text"):
            raise _bad_request("text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")
        actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
        if not actions:
            raise _bad_request("text buttons are unallowed in the inline keyboard")

    @staticmethod
    def _link_preview_disabled(params: JSONDict) -> bool:
        options = _as_json(params.get("link_preview_options"), "link preview options")
        if isinstance(options, dict) and _as_bool(options.get("is_disabled", False)):
            return True
        return _as_bool(params.get("disable_web_page_preview", False))

    # -- Bot API methods ----------------------------------------------------------------------

    def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = _as_int(params.get("offset"), 0)
        limit = min(max(_as_int(params.get("limit"), 100), 1), 100)
        timeout = max(_as_int(params.get("timeout"), 0), 0)
        allowed = _as_json(params.get("allowed_updates"), "allowed updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        if self._webhook_url:
            raise _Failure(409, WEBHOOK_CONFLICT)
        self._confirm(offset)
        # A newer getUpdates ends any older one still waiting, as Telegram does. This is
        # also what frees the long poll that PTB abandons when its updater stops.
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()
        deadline = time.monotonic() + timeout
        while True:
            pending = self._pending(offset)
            if pending or self._stopping:
                break
            if generation != self._poll_generation:
                raise _Failure(409, POLL_CONFLICT)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._cond.wait(remaining)
        return [update.to_json() for update in pending[:limit]]

    def _delete_webhook(self, params: JSONDict) -> bool:
        self._webhook_url = ""
        if _as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
        return True

    def _set_webhook(self, params: JSONDict) -> bool:
        self._webhook_url = str(params.get("url") or "")
        self._webhook_secret = str(params.get("secret_token") or "")
        if _as_bool(params.get("drop_pending_updates", False)):
            self._updates.clear()
        self._cond.notify_all()
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = _as_json(params.get("scope"), "scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = _as_json(params.get("commands"), "commands")
        if not isinstance(commands, list):
            raise _bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned = [{"command": c["command"], "description": c["description"]} for c in commands]
        self._commands[self._commands_key(params)] = cleaned
        self._last_commands = cleaned
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return list(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        self._last_commands = []
        return True

    def _send_message_method(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        text, parse_mode, plain, entities = self._formatted_text(params)
        self._check_limits(chat_id)
        markup = self._reply_markup(params)
        stored = _StoredMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            text=text,
            parse_mode=parse_mode,
            reply_markup=markup,
            link_preview_disabled=self._link_preview_disabled(params),
            date=time.time(),
            plain_text=plain,
            entities=entities,
        )
        self._messages[(chat_id, stored.message_id)] = stored
        self._sent.append(stored.snapshot())
        self._record_send(chat_id)
        return self._message_json(stored)

    def _stored_for_edit(self, params: JSONDict, what: str) -> _StoredMessage:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the emulator")
        chat_id = self._chat_id(params)
        message_id = _as_int(params.get("message_id"), 0)
        if message_id <= 0:
            raise _bad_request("message identifier is not specified")
        stored = self._messages.get((chat_id, message_id))
        if stored is None:
            raise _bad_request(f"message to {what} not found")
        return stored

    def _edit_message_text(self, params: JSONDict) -> JSONDict:
        stored = self._stored_for_edit(params, "edit")
        text, parse_mode, plain, entities = self._formatted_text(params)
        self._check_limits(stored.chat_id)
        # Telegram drops the inline keyboard when an edit does not repeat it.
        markup = self._reply_markup(params)
        if (plain, entities, markup) == (stored.plain_text, stored.entities, stored.reply_markup):
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        now = time.time()
        stored.text, stored.parse_mode, stored.plain_text = text, parse_mode, plain
        stored.entities, stored.reply_markup, stored.edit_date = entities, markup, now
        stored.link_preview_disabled = self._link_preview_disabled(params)
        self._edits.append(
            EditRecord(stored.chat_id, stored.message_id, text, parse_mode, markup, now, plain)
        )
        self._record_send(stored.chat_id)
        return self._message_json(stored)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        stored = self._stored_for_edit(params, "edit")
        markup = self._reply_markup(params)
        if markup == stored.reply_markup:
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        stored.reply_markup, stored.edit_date = markup, time.time()
        return self._message_json(stored)

    def _delete_message(self, params: JSONDict) -> bool:
        stored = self._stored_for_edit(params, "delete")
        del self._messages[(stored.chat_id, stored.message_id)]
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise _bad_request(QUERY_INVALID.removeprefix("Bad Request: "))
        self._open_queries.discard(query_id)
        return True

    def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._chat(self._chat_id(params))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    def _member_json(self, chat_id: int, user_id: int) -> JSONDict:
        status = self._admins.get(chat_id, {}).get(user_id, "member")
        member: JSONDict = {"status": status, "user": self._user(user_id)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                    "can_pin_messages": True,
                }
            )
            if self._chat(chat_id)["type"] == "channel":
                posting = (chat_id, user_id) not in self._no_posting
                member.update({"can_post_messages": posting, "can_edit_messages": posting})
        return member

    def _get_chat_member(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat_id(params)
        user_id = _as_int(params.get("user_id"), 0)
        if user_id <= 0:
            raise _bad_request("invalid user_id specified")
        return self._member_json(chat_id, user_id)

    def _get_chat_administrators(self, params: JSONDict) -> list[JSONDict]:
        chat_id = self._chat_id(params)
        if self._chat(chat_id)["type"] == "private":
            raise _bad_request("there are no administrators in the private chat")
        return [self._member_json(chat_id, user) for user in self._admins.get(chat_id, {})]

    def _always_true(self, params: JSONDict) -> bool:
        return True


_HANDLERS: Final[dict[str, _MethodHandler]] = {
    "getMe": BotApiEmulator._get_me,
    "getUpdates": BotApiEmulator._get_updates,
    "deleteWebhook": BotApiEmulator._delete_webhook,
    "setWebhook": BotApiEmulator._set_webhook,
    "getWebhookInfo": BotApiEmulator._get_webhook_info,
    "setMyCommands": BotApiEmulator._set_my_commands,
    "getMyCommands": BotApiEmulator._get_my_commands,
    "deleteMyCommands": BotApiEmulator._delete_my_commands,
    "sendMessage": BotApiEmulator._send_message_method,
    "editMessageText": BotApiEmulator._edit_message_text,
    "editMessageReplyMarkup": BotApiEmulator._edit_message_reply_markup,
    "deleteMessage": BotApiEmulator._delete_message,
    "answerCallbackQuery": BotApiEmulator._answer_callback_query,
    "sendChatAction": BotApiEmulator._send_chat_action,
    "getChat": BotApiEmulator._get_chat,
    "getChatMember": BotApiEmulator._get_chat_member,
    "getChatAdministrators": BotApiEmulator._get_chat_administrators,
    "close": BotApiEmulator._always_true,
    "logOut": BotApiEmulator._always_true,
}
assert set(_HANDLERS) == set(_METHOD_NAMES)
