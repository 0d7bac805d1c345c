"""OPML import and export: round trips, readers' quirks, skipped outlines and refused documents."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from bot.core.models import Feed, Lang, feed_slug
from bot.errors import CatalogError, OpmlError
from bot.feeds.opml import DOCS_URL, parse_opml, parse_opml_report, to_opml

NOW = datetime(2025, 11, 24, 12, 30, 5, tzinfo=UTC)


def opml(body: str, version: str = "2.0") -> bytes:
    """A UTF-8 OPML document around `body`."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="{version}">'
        f"<head><title>t</title></head><body>{body}</body></opml>"
    ).encode()


def catalog(
    entries: list[tuple[str, str, Lang | None]], interval: float | None = None
) -> list[Feed]:
    """Feeds with ids derived by slug_for in order, as an import with no existing ids does."""
    taken: set[str] = set()
    feeds = []
    for name, url, lang in entries:
        feed_id = feed_slug(name, url, taken)
        taken.add(feed_id)
        feeds.append(
            Feed(id=feed_id, name=name, url=url, lang=lang, interval=interval, origin="admin")
        )
    return feeds


def test_round_trip_english_and_arabic() -> None:
    """Exporting then importing gives back the same feeds, ids included, for both languages."""
    feeds = catalog(
        [
            ("BBC News", "https://feeds.bbci.co.uk/news/rss.xml", "en"),
            ("الجزيرة", "https://www.aljazeera.net/aljazeerarss/a7c186be.xml", "ar"),
            ("Reuters World", "https://reuters.example/world?format=rss&x=1", None),
        ]
    )
    assert [f.id for f in feeds] == ["bbc-news", "aljazeera-net", "reuters-world"]
    assert parse_opml(to_opml(feeds, now=NOW)) == feeds


@pytest.mark.parametrize("interval", [None, 1.0, 300.0, 90.25, 86_400.0])
def test_round_trip_interval(interval: float | None) -> None:
    """A feed's own poll interval is exported in seconds and imported back unchanged."""
    feeds = catalog([("A", "https://a.example/", None)], interval=interval)
    data = to_opml(feeds, now=NOW)
    assert (b"interval=" in data) is (interval is not None)
    assert parse_opml(data) == feeds


def test_imported_feeds_are_admin_origin() -> None:
    """Imported feeds are marked as added by an admin, whatever the exported feeds were."""
    feed = Feed(id="a", name="A", url="https://a.example/", origin="file")
    assert [f.origin for f in parse_opml(to_opml([feed], now=NOW))] == ["admin"]


def test_round_trip_empty_catalog() -> None:
    """An empty catalog exports to a valid document that imports as no feeds."""
    assert parse_opml(to_opml([], now=NOW)) == []


def test_export_document_shape() -> None:
    """The export is UTF-8 OPML 2.0 with title, RFC 822 date, docs and one rss outline per feed."""
    feeds = [
        Feed(id="a", name="Alpha", url="https://a.example/rss", lang="en"),
        Feed(id="b", name="بيتا", url="https://b.example/rss"),
    ]
    data = to_opml(feeds, title="my feeds", now=NOW)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n')
    assert b"\n  <head>\n    <title>" in data  # pretty-printed
    assert "بيتا".encode() in data
    root = ET.fromstring(data)
    assert root.attrib == {"version": "2.0"}
    assert root.findtext("head/title") == "my feeds"
    assert root.findtext("head/dateCreated") == "Mon, 24 Nov 2025 12:30:05 GMT"
    assert root.findtext("head/docs") == DOCS_URL
    outlines = [o.attrib for o in root.iter("outline")]
    assert outlines == [
        {
            "type": "rss",
            "text": "Alpha",
            "title": "Alpha",
            "xmlUrl": "https://a.example/rss",
            "language": "en",
        },
        {"type": "rss", "text": "بيتا", "title": "بيتا", "xmlUrl": "https://b.example/rss"},
    ]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2025, 1, 2, 3, 4, 5), "Thu, 02 Jan 2025 03:04:05 GMT"),
        (
            datetime(2025, 1, 2, 6, 4, 5, tzinfo=timezone(timedelta(hours=3))),
            "Thu, 02 Jan 2025 03:04:05 GMT",
        ),
    ],
)
def test_export_date_in_gmt(now: datetime, expected: str) -> None:
    """dateCreated is written in GMT, reading a naive time as UTC."""
    root = ET.fromstring(to_opml([], now=now))
    assert root.findtext("head/dateCreated") == expected


def test_export_date_defaults_to_now() -> None:
    """Without `now`, dateCreated is the current time."""
    before = datetime.now(UTC).replace(microsecond=0)
    created = ET.fromstring(to_opml([])).findtext("head/dateCreated")
    assert created is not None
    assert before <= parsedate_to_datetime(created) <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("Tom & Jerry", b"Tom &amp; Jerry"),
        ("a <b> c", b"a &lt;b&gt; c"),
        ('say "hi"', b"say &quot;hi&quot;"),
        ("it's", b"it's"),
    ],
)
def test_escaping_in_names(name: str, escaped: bytes) -> None:
    """Ampersands, angle brackets and quotes in names are escaped and come back unchanged."""
    feeds = catalog([(name, "https://x.example/feed?a=1&b=2", None)])
    data = to_opml(feeds, now=NOW)
    assert b'text="' + escaped + b'"' in data
    assert b"a=1&amp;b=2" in data
    assert parse_opml(data) == feeds


def test_export_drops_characters_xml_cannot_carry() -> None:
    """Control characters in a name are left out so the export stays readable XML."""
    feed = Feed(id="a", name="bell\x07 news", url="https://a.example/")
    assert [f.name for f in parse_opml(to_opml([feed], now=NOW))] == ["bell news"]


def test_nested_folders() -> None:
    """Feeds at any folder depth are imported in document order and folders are not."""
    data = opml(
        '<outline text="News">'
        '  <outline text="World"><outline text="Deep" type="rss" xmlUrl="https://d.example/"/>'
        "  </outline>"
        '  <outline text="Top" type="rss" xmlUrl="https://t.example/"/>'
        "</outline>"
        '<outline text="Empty folder"/>'
        '<outline text="Root" xmlUrl="https://r.example/"/>'
    )
    feeds, skipped = parse_opml_report(data)
    assert [(f.id, f.name, f.url) for f in feeds] == [
        ("deep", "Deep", "https://d.example/"),
        ("top", "Top", "https://t.example/"),
        ("root", "Root", "https://r.example/"),
    ]
    assert skipped == []


def test_opml_1_0_sample() -> None:
    """An OPML 1.0 export with text-only outlines, htmlUrl and extra attributes imports."""
    data = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0">
  <head>
    <title>mySubscriptions</title>
    <dateCreated>Sat, 18 Jun 2005 12:11:52 GMT</dateCreated>
    <ownerName>Someone</ownerName>
  </head>
  <body>
    <outline text="CNET News.com" description="Tech news" htmlUrl="http://news.com.com/"
      language="unknown" title="CNET News.com" type="rss" version="RSS2"
      xmlUrl="http://news.com.com/2547-1_3-0-5.xml"/>
    <outline text="Caf\xe9 Politique" type="rss" xmlUrl="http://cafe.example/rss.xml"/>
    <outline text="Atom one" type="atom" xmlUrl="https://atom.example/feed.atom"
      language="en-us"/>
  </body>
</opml>"""
    assert parse_opml(data) == [
        Feed(
            id="cnet-news-com",
            name="CNET News.com",
            url="http://news.com.com/2547-1_3-0-5.xml",
            origin="admin",
        ),
        Feed(
            id="cafe-politique",
            name="Café Politique",
            url="http://cafe.example/rss.xml",
            origin="admin",
        ),
        Feed(
            id="atom-one",
            name="Atom one",
            url="https://atom.example/feed.atom",
            lang="en",
            origin="admin",
        ),
    ]


def test_windows_1256_document() -> None:
    """A windows-1256 document declared in its prolog yields the Arabic title intact."""
    text = (
        '<?xml version="1.0" encoding="windows-1256"?>\n<opml version="2.0"><head/><body>'
        '<outline text="أخبار مصر" type="rss" xmlUrl="https://www.masrawy.example/rss"'
        ' language="ar-EG"/></body></opml>'
    )
    assert parse_opml(text.encode("cp1256")) == [
        Feed(
            id="masrawy-example",
            name="أخبار مصر",
            url="https://www.masrawy.example/rss",
            lang="ar",
            origin="admin",
        )
    ]


@pytest.mark.parametrize(
    ("attrs", "name"),
    [
        ('title="Title" text="Text"', "Title"),
        ('text="  Text only  "', "Text only"),
        ('title="   " text="Text"', "Text"),
        ("", "name.example"),
        ('text="   "', "name.example"),
        (f'text="{"x" * 63}  yz"', "x" * 63),
        (f'text="{"y" * 80}"', "y" * 64),
    ],
)
def test_name_from_title_text_or_host(attrs: str, name: str) -> None:
    """The name is the stripped title, else the text, cut to 64 characters, else the host."""
    feeds = parse_opml(opml(f'<outline {attrs} xmlUrl="https://name.example:8080/rss"/>'))
    assert [f.name for f in feeds] == [name]


@pytest.mark.parametrize(
    ("language", "lang"),
    [
        ('language="en"', "en"),
        ('language="EN-US"', "en"),
        ('language="ar"', "ar"),
        ('language="ar-SA"', "ar"),
        ('language="ar_EG"', "ar"),
        ('language="fr"', None),
        ('language="english"', None),
        ('language=""', None),
        ("", None),
    ],
)
def test_language(language: str, lang: Lang | None) -> None:
    """The language attribute maps en/ar and their regional forms; anything else is None."""
    feeds = parse_opml(opml(f'<outline text="A" xmlUrl="https://a.example/" {language}/>'))
    assert [f.lang for f in feeds] == [lang]


@pytest.mark.parametrize(
    ("outline", "reason"),
    [
        ('<outline text="No url" type="rss"/>', "outline #1 'No url': type 'rss' but no xmlUrl"),
        (
            '<outline text="FTP" type="rss" xmlUrl="ftp://files.example/feed.xml"/>',
            "outline #1 'FTP': xmlUrl 'ftp://files.example/feed.xml' is not an http(s) URL",
        ),
        (
            '<outline text="Local" xmlUrl="file:///etc/passwd"/>',
            "outline #1 'Local': xmlUrl 'file:///etc/passwd' is not an http(s) URL",
        ),
        ('<outline text="Blank" xmlUrl="  "/>', "xmlUrl '(empty)' is not an http(s) URL"),
        ('<outline xmlUrl="https:///path"/>', "outline #1: xmlUrl 'https:///path'"),
        ('<outline text="V6" xmlUrl="http://[::1/rss"/>', "xmlUrl 'http://[::1/rss' is not"),
        (
            '<outline text="Page" type="link" xmlUrl="https://l.example/"/>',
            "outline #1 'Page': type 'link' is not a feed (rss or atom)",
        ),
        (
            '<outline text="Spaced" xmlUrl="https://a b.example/"/>',
            "outline #1 'Spaced': xmlUrl 'https://a b.example/' is not an http(s) URL",
        ),
        (
            '<outline text="Slow" xmlUrl="https://s.example/" interval="hourly"/>',
            "outline #1 'Slow': interval 'hourly' is not a number of seconds",
        ),
        ('<outline text="N" xmlUrl="https://s.example/" interval="nan"/>', "'nan' is not a"),
        ('<outline text="I" xmlUrl="https://s.example/" interval="inf"/>', "'inf' is not a"),
        (
            '<outline text="Zero" xmlUrl="https://s.example/" interval="0"/>',
            "outline #1 'Zero': interval: Input should be greater than or equal to 1",
        ),
        (
            '<outline text="Day+" xmlUrl="https://s.example/" interval="86401"/>',
            "interval: Input should be less than or equal to 86400",
        ),
    ],
)
def test_skipped_outline_reason(outline: str, reason: str) -> None:
    """An outline that cannot become a feed is skipped with a reason naming it and the problem."""
    good = '<outline text="Good" xmlUrl="https://good.example/"/>'
    feeds, skipped = parse_opml_report(opml(outline + good))
    assert [f.name for f in feeds] == ["Good"]
    assert len(skipped) == 1
    assert reason in skipped[0]
    assert parse_opml(opml(outline + good)) == feeds


@pytest.mark.parametrize(
    ("attr", "interval"), [("", None), ('interval=" "', None), ('interval=" 60 "', 60.0)]
)
def test_interval_attribute(attr: str, interval: float | None) -> None:
    """A missing or blank interval means none; a number is read as seconds."""
    feeds = parse_opml(opml(f'<outline text="A" xmlUrl="https://a.example/" {attr}/>'))
    assert [f.interval for f in feeds] == [interval]


def test_folder_without_xml_url_is_not_a_skip() -> None:
    """A folder outline without xmlUrl and without a feed type is traversed, not reported."""
    feeds, skipped = parse_opml_report(opml('<outline text="Folder" title="Folder"/>'))
    assert (feeds, skipped) == ([], [])


def test_attribute_case_and_scheme_are_tolerated() -> None:
    """xmlURL/xmlurl spellings and an upper-case scheme still import as one valid http URL."""
    data = opml(
        '<outline text="A" type="RSS" xmlURL="HTTPS://A.example/Feed"/>'
        '<outline text="B" xmlurl="http://b.example/"/>'
    )
    assert [f.url for f in parse_opml(data)] == ["https://A.example/Feed", "http://b.example/"]


def test_duplicate_urls_imported_once() -> None:
    """A URL listed twice (host case or fragment aside) is imported once, the repeats reported."""
    data = opml(
        '<outline text="World"><outline text="BBC" xmlUrl="https://bbc.example/rss"/></outline>'
        '<outline text="BBC again" xmlUrl=" https://BBC.example/rss "/>'
        '<outline text="BBC anchor" xmlUrl="https://bbc.example/rss#top"/>'
        '<outline text="BBC other path" xmlUrl="https://bbc.example/RSS"/>'
    )
    feeds, skipped = parse_opml_report(data)
    assert [(f.id, f.url) for f in feeds] == [
        ("bbc", "https://bbc.example/rss"),
        ("bbc-other-path", "https://bbc.example/RSS"),
    ]
    assert skipped == [
        "outline #3 'BBC again': duplicate of xmlUrl 'https://BBC.example/rss', imported as 'bbc'",
        "outline #4 'BBC anchor': duplicate of xmlUrl 'https://bbc.example/rss#top', "
        "imported as 'bbc'",
    ]


def test_id_collisions_with_existing_and_inside_file() -> None:
    """Ids avoid the existing ids and each other: name, then host, then -2, -3 suffixes."""
    data = opml(
        '<outline text="News" xmlUrl="https://www.one.example/rss"/>'
        '<outline text="News" xmlUrl="https://two.example/rss"/>'
        '<outline text="News" xmlUrl="https://two.example/other"/>'
        '<outline text="News" xmlUrl="https://three.example/rss"/>'
        '<outline text="الأخبار" xmlUrl="https://two.example/ar"/>'
    )
    feeds = parse_opml(data, existing_ids=["news", "news-2"])
    assert [f.id for f in feeds] == [
        "one-example",
        "two-example",
        "news-3",
        "three-example",
        "two-example-2",
    ]


def test_existing_ids_are_not_modified() -> None:
    """parse_opml reads existing_ids from any iterable and leaves a given set as it was."""
    existing = {"a"}
    feeds = parse_opml(opml('<outline text="A" xmlUrl="https://x.example/"/>'), existing)
    assert [f.id for f in feeds] == ["x-example"]
    assert existing == {"a"}
    assert [f.id for f in parse_opml(opml('<outline text="A" xmlUrl="https://x.example/"/>'))] == [
        "a"
    ]


@pytest.mark.parametrize(
    ("name", "url", "taken", "expected"),
    [
        ("BBC News", "https://feeds.bbci.co.uk/news", set(), "bbc-news"),
        ("  BBC -- News!  ", "https://feeds.bbci.co.uk/news", set(), "bbc-news"),
        ("Café Révolution", "https://c.example/", set(), "cafe-revolution"),
        ("BBC عربي", "https://www.bbc.com/arabic", set(), "bbc"),
        ("الجزيرة", "https://www.aljazeera.net/rss", set(), "aljazeera-net"),
        ("24", "https://france24.example/", set(), "france24-example"),
        ("الجزيرة", "https://WWW.AlJazeera.net:443/rss", set(), "aljazeera-net"),
        ("BBC News", "https://bbc.example/", {"bbc-news"}, "bbc-example"),
        ("BBC News", "https://bbc.example/", {"bbc-news", "bbc-example"}, "bbc-news-2"),
        (
            "BBC News",
            "https://bbc.example/",
            {"bbc-news", "bbc-example", "bbc-news-2"},
            "bbc-news-3",
        ),
        ("الجزيرة", "https://aljazeera.net/", {"aljazeera-net"}, "aljazeera-net-2"),
        ("الجزيرة", "not a url", set(), "feed"),
        ("الجزيرة", "not a url", {"feed", "feed-2"}, "feed-3"),
        ("a" * 60, "https://x.example/", set(), "a" * 48),
        ("a" * 60, "https://x.example/", {"a" * 48, "x-example"}, "a" * 46 + "-2"),
        ("a" * 47 + " b", "https://x.example/", set(), "a" * 47),
    ],
)
def test_slug_for(name: str, url: str, taken: set[str], expected: str) -> None:
    """slug_for derives a valid, unused id from the name, then the host, then numbered."""
    before = set(taken)
    assert feed_slug(name, url, taken) == expected
    assert taken == before
    Feed(id=expected, name="n", url="https://x.example/")  # the id passes Feed's validator


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE opml><opml version="2.0"><body/></opml>',
            "OPML document refused: it contains <!DOCTYPE",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
            b' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
            b'<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://a.example/"/>'
            b"</body></opml>",
            "OPML document refused: it contains <!DOCTYPE",
        ),
        (b'<!ENTITY x "y"><opml/>', "it contains <!ENTITY"),
        (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml><opml><body/></opml>'.encode(
                "utf-16"
            ),
            "it contains <!DOCTYPE",
        ),
        (b"", "not an XML document: no element found"),
        (b"hello, world", "not an XML document: syntax error"),
        (b"<opml><body></opml>", "not an XML document: mismatched tag"),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
            "not an OPML document: root element is <rss>",
        ),
        (
            b'<feed xmlns="http://www.w3.org/2005/Atom"/>',
            "not an OPML document: root element is <{http://www.w3.org/2005/Atom}feed>",
        ),
        (
            b'<opml version="2.0"><head/></opml>',
            "not an OPML document: <opml> has no <body>",
        ),
    ],
)
def test_refused_documents(data: bytes, message: str) -> None:
    """DTDs, non-XML and non-OPML documents raise an OpmlError (a CatalogError) saying why."""
    with pytest.raises(OpmlError) as caught:
        parse_opml(data)
    assert message in str(caught.value)
    assert isinstance(caught.value, CatalogError)
    assert "\n" not in str(caught.value)


def test_utf16_document_without_dtd_is_read() -> None:
    """A UTF-16 document passes the DTD check when it has no DTD."""
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><opml version="2.0"><body>'
        '<outline text="عاجل" xmlUrl="https://a.example/"/></body></opml>'
    )
    assert [f.name for f in parse_opml(text.encode("utf-16"))] == ["عاجل"]


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("&#x202E;erusaeL&#x202C; Wire", "erusaeL Wire"),
        ("Wire&#x2069;&#x2067;", "Wire"),
        ("Levant\u0085 Wire", "Levant Wire"),
        ("قناة\u200f الخبر", "قناة\u200f الخبر"),  # a right-to-left mark stays
    ],
)
def test_imported_names_lose_direction_controls(label: str, name: str) -> None:
    """A feed name from OPML (or anywhere) keeps no control or direction-override character."""
    (feed,) = parse_opml(opml(f'<outline text="{label}" xmlUrl="https://a.example/rss"/>'))
    assert feed.name == name
    assert Feed(id="a", name=f"\u202e{name}\u202c", url="https://a.example/").name == name
