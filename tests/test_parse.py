"""Parsing feed bytes into items: formats, text cleanup, links, dates, identity, bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

import pytest

from bot.core.models import Feed
from bot.core.sanitize import clip_words
from bot.errors import FeedError
from bot.feeds.fetch import parse_retry_after
from bot.feeds.parse import (
    SUMMARY_MAX_CHARS,
    TITLE_MAX_CHARS,
    canonical_link,
    detect_lang,
    html_to_text,
    item_id,
    parse_feed,
)

FEED = Feed(id="wire", name="Wire", url="https://wire.example/feed.xml")
NOW = datetime(2023, 10, 24, 0, 0, tzinfo=UTC)

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Wire &amp; Co</title>
<item><title>Drones hit &lt;US&gt; base</title><link>/news/1?utm_source=rss&amp;id=7</link>
<guid isPermaLink="false">g-1</guid><pubDate>Mon, 23 Oct 2023 21:31:00 GMT</pubDate>
<description><![CDATA[<p>First <b>para</b>&nbsp;here.</p><script>alert(1)</script><style>p{}</style><p>Second.</p>]]></description>
</item>
<item><title>No date, no guid</title><link>https://wire.example/news/2</link></item>
<item><title></title><description></description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/">
<title>Atom</title><id>urn:x</id><updated>2023-10-23T22:00:00Z</updated>
<entry><title>Atom entry</title><id>urn:e1</id><link href="a/b"/>
<updated>2023-10-23T22:00:00Z</updated><content type="html">&lt;p&gt;Body text.&lt;/p&gt;</content></entry>
<entry><title>From the future</title><id>urn:e2</id><updated>2031-01-01T00:00:00Z</updated></entry>
</feed>"""


def test_rss_items() -> None:
    """RSS entries become items with clean text, absolute links and UTC times."""
    parsed = parse_feed(RSS.encode(), {"content-type": "application/rss+xml"}, FEED, NOW)
    assert parsed.title == "Wire & Co"
    assert len(parsed.items) == 2  # the empty entry is skipped
    first, second = parsed.items
    assert first.title == "Drones hit <US> base"
    assert first.summary == "First para here. Second."
    assert first.link == "https://wire.example/news/1?id=7"
    assert first.published == datetime(2023, 10, 23, 21, 31, tzinfo=UTC)
    assert first.id == item_id("wire", "g-1")
    assert first.feed_id == "wire"
    assert first.lang == "en"
    assert second.published == NOW
    assert second.id == item_id("wire", "https://wire.example/news/2")


def test_atom_items() -> None:
    """Atom entries are read, xml:base resolves relative links, future dates become first-seen."""
    parsed = parse_feed(ATOM.encode(), {}, FEED, NOW)
    first, future = parsed.items
    assert first.link == "https://atom.example/a/b"
    assert first.summary == "Body text."
    assert future.published == NOW


def test_identity_is_stable() -> None:
    """Parsing the same bytes twice gives the same ids; another feed gives other ids."""
    once = parse_feed(RSS.encode(), {}, FEED, NOW)
    again = parse_feed(RSS.encode(), {}, FEED, NOW)
    other = parse_feed(RSS.encode(), {}, Feed(id="other", name="O", url=FEED.url), NOW)
    assert [i.id for i in once.items] == [i.id for i in again.items]
    assert not {i.id for i in once.items} & {i.id for i in other.items}


def test_arabic_windows_1256() -> None:
    """A declared legacy Arabic encoding is decoded and the language detected."""
    body = (
        '<?xml version="1.0" encoding="windows-1256"?><rss version="2.0"><channel><title>ت</title>'
        "<item><title>قاعدة أمريكية</title><guid>a1</guid></item></channel></rss>"
    ).encode("cp1256")
    parsed = parse_feed(body, {"content-type": "text/xml"}, FEED, NOW)
    assert parsed.items[0].title == "قاعدة أمريكية"
    assert parsed.items[0].lang == "ar"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty response"),
        (b"   \n", "empty response"),
        (b"<html><body><h1>Welcome</h1></body></html>", "not a feed"),
        (b"\x00\x01\x02 binary", "not a feed"),
    ],
)
def test_not_a_feed(body: bytes, reason: str) -> None:
    """Bodies that are not feeds raise FeedError with a short reason."""
    with pytest.raises(FeedError, match=reason):
        parse_feed(body, {"content-type": "text/html"}, FEED, NOW)


def test_malformed_but_readable() -> None:
    """Malformed XML that feedparser can still read yields its items."""
    body = b"<rss version='2.0'><channel><title>T</title><item><title>A & B</title></item>"
    parsed = parse_feed(body, {}, FEED, NOW)
    assert [i.title for i in parsed.items] == ["A & B"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.example/a?utm_source=rss&utm_medium=x&id=3", "https://x.example/a?id=3"),
        ("https://x.example/a?fbclid=abc", "https://x.example/a"),
        ("https://x.example", "https://x.example/"),
        ("https://x.example/live#post-4", "https://x.example/live#post-4"),
        ("javascript:alert(1)", None),
        ("ftp://x.example/file", None),
    ],
)
def test_canonical_link(url: str, expected: str | None) -> None:
    """Links lose tracking parameters; only http(s) links are kept."""
    assert canonical_link(url) == expected


def test_html_to_text() -> None:
    """Tags, scripts and styles are removed, entities decoded, whitespace collapsed."""
    assert html_to_text("<p>a&amp;b</p><br/>c <script>x()</script>d") == "a&b c d"


@pytest.mark.parametrize(
    ("text", "lang"),
    [("US base", "en"), ("قاعدة أمريكية US", "ar"), ("2023 ...", None)],
)
def test_detect_lang(text: str, lang: str | None) -> None:
    """The language is the script most letters are written in."""
    assert detect_lang(text) == lang


JSON_FEED = b"""{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "JSON Wire",
  "language": "ar",
  "items": [
    {"id": "j1", "url": "/a/1", "title": "\\u0642\\u0627\\u0639\\u062f\\u0629",
     "content_html": "<p>First <b>item</b></p>", "date_published": "2023-10-23T21:31:00Z"},
    {"id": "j2", "external_url": "https://other.example/b", "content_text": "No title here at all"},
    {"not": "an item with text"}
  ]
}"""


def test_json_feed() -> None:
    """JSON Feed items become items: HTML cleaned, links absolute, dates in UTC, language kept."""
    parsed = parse_feed(JSON_FEED, {"content-type": "application/feed+json"}, FEED, NOW)
    assert parsed.title == "JSON Wire"
    first, second = parsed.items
    assert (first.title, first.summary, first.lang) == ("قاعدة", "First item", "ar")
    assert first.link == "https://wire.example/a/1"
    assert first.published == datetime(2023, 10, 23, 21, 31, tzinfo=UTC)
    assert second.title == "No title here at all"
    assert second.link == "https://other.example/b"
    assert second.published == NOW


NESTED = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"title": '


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"title": "x"}', "without a JSON Feed version"),
        (b"{not json", "invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 levels deep"),
        (NESTED + b"[" * 900 + b"]" * 900 + b"}]}", "nested more than 64 levels deep"),
        (NESTED + b'"' + b"[" * 1000 + b"}]}", "invalid JSON"),
    ],
    ids=["no-version", "not-json", "nested-100000", "nested-title", "unclosed-string-of-brackets"],
)
def test_bad_json(body: bytes, reason: str) -> None:
    """JSON that is no JSON Feed, or is nested too deep, is refused with the reason."""
    with pytest.raises(FeedError, match=reason) as caught:
        parse_feed(body, {"content-type": "application/json"}, FEED, NOW)
    assert caught.value.kind == "parse"


def test_json_depth_skips_strings() -> None:
    """Brackets inside JSON strings, escaped quotes included, do not count as nesting."""
    body = NESTED + b'"' + b'[\\"{' * 200 + b'"}]}'
    parsed = parse_feed(body, {"content-type": "application/json"}, FEED, NOW)
    assert parsed.items[0].title.startswith('["{["{')


def test_fingerprint_ignores_markup_and_guid() -> None:
    """Two entries with the same text but different GUIDs and markup share a fingerprint."""
    one = RSS.replace("g-1", "guid-a").encode()
    two = RSS.replace("g-1", "guid-b").replace("<b>para</b>", "para").encode()
    first = parse_feed(one, {}, FEED, NOW).items[0]
    second = parse_feed(two, {}, FEED, NOW).items[0]
    assert first.id != second.id
    assert first.fingerprint == second.fingerprint is not None


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [("utf-8", "cp1256"), ("windows-1256", "utf-8"), ("iso-8859-1", "utf-8")],
)
def test_wrong_declared_charset(declared: str, encoding: str) -> None:
    """Arabic text is read right even when the server declares the wrong charset."""
    doc = (
        f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>قاعدة أمريكية</title><guid>a</guid></item></channel></rss>"
    )
    headers = {"content-type": f"application/rss+xml; charset={declared}"}
    parsed = parse_feed(doc.encode(encoding), headers, FEED, NOW)
    assert parsed.items[0].title == "قاعدة أمريكية"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Tue, 24 Oct 2023 00:02:00 GMT", 120.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    """Retry-After is read as seconds or as an HTTP date."""
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short enough", 12, "short enough"),
        ("Drones hit the base again", 16, "Drones hit the…"),
        ("Drones hit the base again", 15, "Drones hit the…"),  # the window ends at a word's end
        ("Drones thebaseagainandagain", 16, "Drones thebasea…"),  # the space would keep < half
        ("Dronesandmissiles", 8, "Dronesa…"),  # no space at all: cut inside the word
    ],
)
def test_clip_words(text: str, limit: int, expected: str) -> None:
    """A text over the limit is cut at its last word boundary that keeps half, ellipsis included."""
    assert clip_words(text, limit) == expected
    assert len(clip_words(text, limit)) <= limit


# A hostile headline and lead: 4 MB of words (feeds carry no headline a thousandth this long).
HUGE = "Drones hit US base " + " ".join(f"word{n}" for n in range(450_000))


def huge_rss() -> bytes:
    """RSS with a 4 MB title and a 4 MB HTML description (CDATA: quick for the XML parser)."""
    lead = "".join(f"<p><b>{word}</b></p>" for word in HUGE.split()[:250_000])
    return (
        '<rss version="2.0"><channel><title>Huge</title><item>'
        f"<title>{escape(HUGE)}</title><guid>h-1</guid>"
        f"<description><![CDATA[{lead}]]></description></item></channel></rss>"
    ).encode()


def huge_atom() -> bytes:
    """Atom with a 4 MB title and a 4 MB text summary."""
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Huge</title><id>urn:h</id>'
        f"<entry><title>{escape(HUGE)}</title><id>urn:h1</id>"
        f'<summary type="text">{escape(HUGE.upper())}</summary></entry></feed>'
    ).encode()


def huge_json() -> bytes:
    """JSON Feed with a 4 MB feed title, item title and content_text."""
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": HUGE,
            "items": [{"id": "h-1", "title": HUGE, "content_text": HUGE.upper()}],
        }
    ).encode()


@pytest.mark.parametrize("make", [huge_rss, huge_atom, huge_json], ids=["rss", "atom", "json"])
def test_huge_title_and_summary_are_capped_at_a_word(make: Callable[[], bytes]) -> None:
    """A 4 MB title and summary are kept to the caps, cut between words, in every format."""
    body = make()
    assert len(body) > 4_000_000
    parsed = parse_feed(body, {}, FEED, NOW)
    (item,) = parsed.items
    assert 0.5 * TITLE_MAX_CHARS < len(item.title) <= TITLE_MAX_CHARS
    assert 0.5 * SUMMARY_MAX_CHARS < len(item.summary) <= SUMMARY_MAX_CHARS
    assert len(parsed.title) <= TITLE_MAX_CHARS
    for kept in (item.title, item.summary.casefold()):
        assert kept.endswith("…")
        cut = kept.removesuffix("…")
        assert HUGE.casefold().startswith(cut.casefold())
        assert cut.split()[-1] in HUGE.casefold().split()  # no word is cut in two


# Characters no alert may carry, and text that must come through them as written.
RLO, PDF, LRI, RLI, PDI = "\u202e", "\u202c", "\u2066", "\u2067", "\u2069"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u206f\ud800-\udfff]")
HOSTILE = [
    # (what is hidden, title as the feed has it, the title kept)
    ("NUL", "Drones\x00 hit\x00 the base", "Drones hit the base"),
    ("override", f"Drones hit {RLO}esab eht{PDF} again", "Drones hit esab eht again"),
    ("isolate", f"{RLI}قاعدة{PDI} hit {LRI}again", "قاعدة hit again"),
    ("closing isolate", f"Drones hit{PDI}{PDI} the base", "Drones hit the base"),
    ("escape and bell", "Drones \x1b[31mhit\x07 the base", "Drones [31mhit the base"),
    ("C1 control", "Drones\x81 hit\x9d the base", "Drones hit the base"),  # none in cp1252
    ("separators", "Drones\x1fhit\u2028the\x0bbase", "Drones hit the base"),
    ("marks stay", "قاعدة\u200f (US) \u200cبيت", "قاعدة\u200f (US) \u200cبيت"),
]


def hostile_rss(title: str) -> bytes:
    """RSS carrying `title` as headline, lead, feed title and in the link's path."""
    # Control characters other than tab and newline cannot appear in XML 1.0 at all; feeds
    # that carry them anyway are read by feedparser's forgiving parser.
    return (
        f"<rss version='2.0'><channel><title>{escape(title)}</title><item>"
        f"<title>{escape(title)}</title><description>{escape(title)} (lead)</description>"
        f"<link>https://wire.example/{escape(title)}</link><guid>h-1</guid>"
        "</item></channel></rss>"
    ).encode()


def hostile_atom(title: str) -> bytes:
    """Atom carrying `title` as headline, HTML lead, feed title and in the link's path."""
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(title)}</title><id>urn:h</id>'
        f"<entry><title>{escape(title)}</title><id>urn:h1</id>"
        f'<link href="https://wire.example/{escape(title, quote=True)}"/>'
        f'<content type="html">{escape(f"<p>{escape(title)} (lead)</p>")}</content>'
        "</entry></feed>"
    ).encode()


def hostile_json(title: str) -> bytes:
    """JSON Feed carrying `title` as headline, lead, feed title and in the link's path."""
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "items": [
                {
                    "id": "h-1",
                    "title": title,
                    "content_text": f"{title} (lead)",
                    "url": f"https://wire.example/{title}",
                }
            ],
        }
    ).encode()


@pytest.mark.parametrize(("hidden", "title", "kept"), HOSTILE, ids=[h[0] for h in HOSTILE])
@pytest.mark.parametrize(
    "make", [hostile_rss, hostile_atom, hostile_json], ids=["rss", "atom", "json"]
)
def test_control_and_bidi_characters_are_stripped(
    make: Callable[[str], bytes], hidden: str, title: str, kept: str
) -> None:
    """Control and direction-override characters leave titles, leads, feed titles and links."""
    parsed = parse_feed(make(title), {}, FEED, NOW)
    (item,) = parsed.items
    assert (item.title, item.summary, parsed.title) == (kept, f"{kept} (lead)", kept)
    assert item.link is not None
    assert not UNSAFE.search(item.link)  # percent-encoded: the link still leads where it led
    assert item.link.startswith("https://wire.example/")
