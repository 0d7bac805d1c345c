"""A farm of generated news feeds served by FeedServer in a child process, for bench/poll.py.

The child process generates the feeds (RSS 2.0, some Atom; English and Arabic headlines, HTML
summaries mixing both languages, links, GUIDs, dates), serves them with FeedServer's conditional
GET (ETag, Last-Modified, 304) and answers commands over a pipe: change a share of the feeds,
report bytes written and CPU used. Running in its own process, the server does not take the
poller's CPU or inflate its memory figures.

Bytes on the wire are counted where the HTTP server writes to its sockets (status lines, headers
and bodies); FeedServer's own counter gives the body bytes, the rest is headers.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import resource
import socketserver
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from multiprocessing.connection import Connection
from typing import Any

from bot.core.models import Lang

KINDS = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}
ATOM_SHARE = 0.25  # the rest is RSS 2.0
ARABIC_SHARE = 0.4  # feeds written in Arabic; the rest in English
DECLARED_LANG_SHARE = 0.5  # feeds whose catalog entry names the language (else it is detected)
ITEM_SPACING_S = (300, 2400)  # seconds between an item and the next older one
SUMMARY_CHARS = (300, 800)  # length of an item's HTML summary

PLACES_EN = (
    "Gaza Beirut Damascus Baghdad Cairo Riyadh Tehran Kyiv Washington Brussels Khartoum Sanaa "
    "Tripoli Amman Doha Ankara Geneva London Paris Moscow Beijing Rafah Aleppo Mosul Basra Jeddah "
    "Dubai Rabat Tunis Algiers Istanbul Kabul Islamabad Delhi Tokyo Berlin Rome Madrid Nairobi"
).split()
PLACES_AR = (
    "غزة بيروت دمشق بغداد القاهرة الرياض طهران كييف واشنطن بروكسل الخرطوم صنعاء طرابلس عمان "
    "الدوحة أنقرة جنيف لندن باريس موسكو بكين رفح حلب الموصل البصرة جدة دبي الرباط تونس الجزائر "
    "إسطنبول كابول إسلام_آباد نيودلهي طوكيو برلين روما مدريد نيروبي"
).split()
ACTORS_EN = (
    "The prime minister", "The foreign ministry", "Rebel forces", "The central bank",
    "The UN envoy", "The army", "Protesters", "Health officials", "Oil ministers",
    "Rescue teams", "The president", "Opposition leaders", "The defence ministry",
    "Aid agencies", "Investigators", "The parliament", "Security forces", "Negotiators",
)  # fmt: skip
ACTORS_AR = (
    "رئيس الوزراء", "وزارة الخارجية", "قوات المعارضة", "البنك المركزي", "المبعوث الأممي",
    "الجيش", "المتظاهرون", "مسؤولو الصحة", "وزراء النفط", "فرق الإنقاذ", "الرئيس",
    "قادة المعارضة", "وزارة الدفاع", "وكالات الإغاثة", "المحققون", "البرلمان",
    "قوات الأمن", "المفاوضون",
)  # fmt: skip
VERBS_EN = (
    "announces", "rejects", "warns of", "confirms", "calls for", "denies", "launches",
    "suspends", "approves", "condemns", "delays", "resumes", "investigates", "backs",
)  # fmt: skip
VERBS_AR = (
    "يعلن", "يرفض", "يحذر من", "يؤكد", "يدعو إلى", "ينفي", "يطلق", "يعلق", "يوافق على",
    "يدين", "يؤجل", "يستأنف", "يحقق في", "يدعم",
)  # fmt: skip
OBJECTS_EN = (
    "ceasefire talks", "new sanctions", "a drone strike", "an interest rate cut",
    "the election results", "an aid convoy", "the border crossing", "oil output cuts",
    "a prisoner exchange", "earthquake relief", "a fuel price rise", "the budget deal",
    "a cholera outbreak", "flood warnings", "the peace plan", "a curfew", "wheat imports",
    "a cabinet reshuffle", "the nuclear talks", "power cuts",
)  # fmt: skip
OBJECTS_AR = (
    "محادثات وقف إطلاق النار", "عقوبات جديدة", "غارة بطائرة مسيرة", "خفض أسعار الفائدة",
    "نتائج الانتخابات", "قافلة مساعدات", "المعبر الحدودي", "خفض إنتاج النفط", "تبادل الأسرى",
    "إغاثة ضحايا الزلزال", "رفع أسعار الوقود", "اتفاق الميزانية", "تفشي الكوليرا",
    "تحذيرات من الفيضانات", "خطة السلام", "حظر التجول", "واردات القمح", "تعديل وزاري",
    "المحادثات النووية", "انقطاع الكهرباء",
)  # fmt: skip
SOURCES_EN = ("Reuters", "AFP", "AP", "state media", "local officials", "witnesses", "a spokesman")
SOURCES_AR = (
    "رويترز",
    "فرانس برس",
    "وكالة الأنباء الرسمية",
    "مصادر محلية",
    "شهود عيان",
    "متحدث رسمي",
)
CLAUSES_EN = (
    "Officials said on {day} that {actor} would meet again in {place} within days.",
    "The decision follows weeks of pressure from {actor2} and {n} days of talks in {place}.",
    "According to {source}, at least {n} people were hurt and {n2} others were evacuated.",
    "{actor} said the measures would remain in place until the end of the month.",
    "Markets in {place} reacted quickly, with the currency falling {n}% against the dollar.",
    "Analysts in {place} warned that {object} could deepen the crisis across the region.",
    "The announcement came hours after {actor2} {verb} {object} in {place2}.",
    "{source} reported that {n} trucks had crossed by late {day}, fewer than planned.",
)  # fmt: skip
CLAUSES_AR = (
    "وقال مسؤولون يوم {day} إن {actor} سيجتمع مجددا في {place} خلال أيام.",
    "ويأتي القرار بعد أسابيع من ضغوط {actor2} و{n} أيام من المحادثات في {place}.",
    "وبحسب {source}، أصيب {n} شخصا على الأقل وتم إجلاء {n2} آخرين.",
    "وقال {actor} إن الإجراءات ستبقى سارية حتى نهاية الشهر.",
    "وتفاعلت الأسواق في {place} سريعا، إذ تراجعت العملة بنسبة {n}% أمام الدولار.",
    "وحذر محللون في {place} من أن {object} قد يعمق الأزمة في المنطقة.",
    "وجاء الإعلان بعد ساعات من إعلان {actor2} {object} في {place2}.",
    "وأفادت {source} بأن {n} شاحنة عبرت حتى وقت متأخر من يوم {day}، أقل مما كان مقررا.",
)  # fmt: skip
DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAYS_AR = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
SECTIONS = ("world", "middle-east", "business", "politics", "health", "region", "economy")
# Words chats watch for in bench/poll.py: some frequent in the feeds, some rare, both languages.
RULE_WORDS = (
    "Gaza", "Beirut", "ceasefire", "sanctions", "drone", "cholera", "earthquake", "curfew",
    "wheat", "nuclear", '"interest rate"', '"aid convoy"', "Khartoum", "Sanaa", "Tokyo",
    "غزة", "بيروت", "مسيرة", "الكوليرا", "الزلزال", "القمح", "النووية", "الخرطوم",
    '"وقف إطلاق النار"', "صنعاء", "الفيضانات", "الوقود",
)  # fmt: skip


@dataclass(frozen=True)
class FarmFeed:
    """One served feed, as the catalog should list it."""

    id: str
    name: str
    path: str
    kind: str  # "rss" or "atom"
    lang: Lang | None  # declared in the catalog, or None (the parser detects it)


@dataclass
class _Item:
    number: int
    title: str
    summary: str  # HTML
    link: str
    guid: str
    published: float


@dataclass
class _Feed:
    meta: FarmFeed
    arabic: bool
    host: str
    title: str
    items: list[_Item] = field(default_factory=list)
    next_number: int = 0


class _Writer:
    """Headlines and summaries in one language, with words of the other mixed in."""

    def __init__(self, rng: random.Random, arabic: bool) -> None:
        self.rng = rng
        self.arabic = arabic

    def _slots(self) -> dict[str, str]:
        rng, ar = self.rng, self.arabic
        return {
            "place": rng.choice(PLACES_AR if ar else PLACES_EN).replace("_", " "),
            "place2": rng.choice(PLACES_AR if ar else PLACES_EN).replace("_", " "),
            "actor": rng.choice(ACTORS_AR if ar else ACTORS_EN),
            "actor2": rng.choice(ACTORS_AR) if ar else rng.choice(ACTORS_EN).lower(),
            "verb": rng.choice(VERBS_AR if ar else VERBS_EN),
            "object": rng.choice(OBJECTS_AR if ar else OBJECTS_EN),
            "source": rng.choice(SOURCES_AR if ar else SOURCES_EN),
            "day": rng.choice(DAYS_AR if ar else DAYS_EN),
            "n": str(rng.randint(2, 90)),
            "n2": str(rng.randint(10, 900)),
        }

    def headline(self) -> str:
        s = self._slots()
        if self.arabic:
            shape = self.rng.random()
            if shape < 0.5:
                return f"{s['place']}: {s['actor']} {s['verb']} {s['object']}"
            return f"{s['actor']} {s['verb']} {s['object']} في {s['place']} ({s['source']})"
        shape = self.rng.random()
        if shape < 0.4:
            return f"{s['place']}: {s['actor']} {s['verb']} {s['object']}"
        if shape < 0.7:
            return f"{s['actor']} {s['verb']} {s['object']} in {s['place']}"
        return f"{s['actor']} {s['verb']} {s['object']} as {s['place2']} talks stall"

    def sentence(self, arabic: bool | None = None) -> str:
        use_arabic = self.arabic if arabic is None else arabic
        writer = self if use_arabic == self.arabic else _Writer(self.rng, use_arabic)
        s = writer._slots()
        clause = self.rng.choice(CLAUSES_AR if use_arabic else CLAUSES_EN)
        return escape(clause.format(**s), quote=False)

    def summary(self, link: str) -> str:
        """An HTML lead of 300 to 800 characters: paragraphs, a link, sometimes a quote."""
        rng = self.rng
        target = rng.randint(*SUMMARY_CHARS)
        parts = [f"<p>{self.sentence()}"]
        size = len(parts[0])
        if rng.random() < 0.3:  # a quote or a name in the other language
            other = self.sentence(arabic=not self.arabic)
            quote = f" <q>{other}</q>"
            parts.append(quote)
            size += len(quote)
        tail = f'</p><p><a href="{link}">{"اقرأ المزيد" if self.arabic else "Read more"}</a></p>'
        while size + len(tail) < target:
            piece = f" {self.sentence()}"
            if rng.random() < 0.2:
                piece = f" <strong>{self.sentence()}</strong>"
            if size + len(piece) + len(tail) > SUMMARY_CHARS[1]:
                break
            parts.append(piece)
            size += len(piece)
        return "".join(parts) + tail


def _new_item(feed: _Feed, writer: _Writer, published: float) -> _Item:
    rng = writer.rng
    number = feed.next_number
    feed.next_number += 1
    day = time.gmtime(published)
    slug = "-".join(f"{rng.getrandbits(24):06x}" for _ in range(2))
    link = (
        f"https://{feed.host}/{rng.choice(SECTIONS)}/{day.tm_year}/{day.tm_mon:02d}/"
        f"{day.tm_mday:02d}/{slug}-{number}"
    )
    if rng.random() < 0.3:
        link += "?utm_source=rss&utm_medium=feed&utm_campaign=breaking"
    guid = f"tag:{feed.host},2024:{feed.meta.id}/{number}"
    return _Item(number, writer.headline(), writer.summary(link), link, guid, published)


def make_feeds(count: int, items: int, seed: int, now: float) -> list[_Feed]:
    """`count` feeds of `items` items each, newest first, the newest published just before now."""
    rng = random.Random(seed)
    feeds = []
    for number in range(count):
        arabic = rng.random() < ARABIC_SHARE
        kind = "atom" if rng.random() < ATOM_SHARE else "rss"
        host = f"www.{'akhbar' if arabic else 'news'}{number:04d}.example"
        declared: Lang = "ar" if arabic else "en"
        lang = declared if rng.random() < DECLARED_LANG_SHARE else None
        meta = FarmFeed(
            id=f"feed{number:04d}",
            name=f"{'Akhbar' if arabic else 'News'} {number:04d}",
            path=f"/feeds/{number:04d}.{'atom' if kind == 'atom' else 'rss'}",
            kind=kind,
            lang=lang,
        )
        title = f"أخبار {number} - عاجل" if arabic else f"News {number} - Breaking"
        feed = _Feed(meta=meta, arabic=arabic, host=host, title=title)
        writer = _Writer(rng, arabic)
        stamps = [now - rng.randint(30, 600)]  # newest first
        while len(stamps) < items:
            stamps.append(stamps[-1] - rng.randint(*ITEM_SPACING_S))
        # Made oldest first, so item numbers grow with time; listed newest first.
        feed.items = [_new_item(feed, writer, stamp) for stamp in reversed(stamps)][::-1]
        feeds.append(feed)
    return feeds


def add_items(feed: _Feed, new: int, rng: random.Random, now: float) -> None:
    """Publish `new` items on top of the feed, dropping as many of the oldest."""
    writer = _Writer(rng, feed.arabic)
    keep = len(feed.items)
    fresh = [_new_item(feed, writer, now - (new - i) * 20) for i in range(new)]
    feed.items = (fresh[::-1] + feed.items)[:keep]


def render(feed: _Feed) -> bytes:
    """The feed document, RSS 2.0 or Atom."""
    return _render_atom(feed) if feed.meta.kind == "atom" else _render_rss(feed)


def _render_rss(feed: _Feed) -> bytes:
    lang = "ar" if feed.arabic else "en-gb"
    built = formatdate(feed.items[0].published if feed.items else time.time(), usegmt=True)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{escape(feed.title)}</title>\n<link>https://{feed.host}/</link>\n"
        f"<description>{escape(feed.title)}</description>\n<language>{lang}</language>\n"
        f"<lastBuildDate>{built}</lastBuildDate>\n<ttl>5</ttl>\n"
        f'<atom:link href="https://{feed.host}/rss" rel="self" type="application/rss+xml"/>\n'
    ]
    for item in feed.items:
        section = item.link.split("/")[3]
        out.append(
            "<item>\n"
            f"<title>{escape(item.title, quote=False)}</title>\n"
            f"<link>{escape(item.link)}</link>\n"
            f'<guid isPermaLink="false">{item.guid}</guid>\n'
            f"<pubDate>{formatdate(item.published, usegmt=True)}</pubDate>\n"
            f"<category>{section}</category>\n"
            f"<dc:creator>{'غرفة الأخبار' if feed.arabic else 'Newsroom'}</dc:creator>\n"
            f"<description>{escape(item.summary, quote=False)}</description>\n"
            "</item>\n"
        )
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode()


def _iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def _render_atom(feed: _Feed) -> bytes:
    lang = "ar" if feed.arabic else "en"
    updated = _iso(feed.items[0].published if feed.items else time.time())
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">\n'
        f"<title>{escape(feed.title)}</title>\n<id>tag:{feed.host},2024:feed</id>\n"
        f'<link rel="alternate" href="https://{feed.host}/"/>\n'
        f'<link rel="self" href="https://{feed.host}/atom"/>\n<updated>{updated}</updated>\n'
    ]
    for item in feed.items:
        stamp = _iso(item.published)
        out.append(
            "<entry>\n"
            f"<title>{escape(item.title, quote=False)}</title>\n"
            f'<link rel="alternate" type="text/html" href="{escape(item.link)}"/>\n'
            f"<id>{item.guid}</id>\n<published>{stamp}</published>\n<updated>{stamp}</updated>\n"
            f"<author><name>{'غرفة الأخبار' if feed.arabic else 'Newsroom'}</name></author>\n"
            f'<summary type="html">{escape(item.summary, quote=False)}</summary>\n'
            "</entry>\n"
        )
    out.append("</feed>\n")
    return "".join(out).encode()


class _SocketWrites:
    """Counts the bytes request handlers write to their sockets, in this process."""

    def __init__(self) -> None:
        self.total = 0
        self._lock = threading.Lock()
        # StreamRequestHandler writes through this unbuffered socket writer: the status line and
        # headers (flushed by end_headers) and every body chunk. It is private to socketserver,
        # so typeshed's stubs leave it out.
        writer = socketserver._SocketWriter  # type: ignore[attr-defined]
        original = writer.write

        def write(sock_writer: Any, data: Any) -> int:
            written: int = original(sock_writer, data)
            with self._lock:
                self.total += written
            return written

        writer.write = write


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _serve(conn: Connection, count: int, items: int, seed: int, gzip: bool) -> None:
    """The child process: generate, serve, and answer the parent's commands until "stop"."""
    from bot.demo.feedserver import FeedServer

    started = time.perf_counter()
    writes = _SocketWrites()
    feeds = make_feeds(count, items, seed, time.time())
    options: dict[str, Any] = {"gzip": gzip}
    server = FeedServer().start()
    for feed in feeds:
        server.set(feed.meta.path, render(feed), content_type=KINDS[feed.meta.kind], **options)
    rng = random.Random(seed + 1)
    conn.send(
        {
            "base_url": server.base_url,
            "feeds": [feed.meta for feed in feeds],
            "generated_s": time.perf_counter() - started,
        }
    )
    baseline = (writes.total, server.bytes_sent, _cpu())
    try:
        while True:
            try:
                command, *args = conn.recv()
            except EOFError:  # the parent is gone
                return
            reply: Any = None
            if command == "counters":
                wire, body, cpu = writes.total, server.bytes_sent, _cpu()
                reply = {
                    "wire_bytes": wire - baseline[0],
                    "body_bytes": body - baseline[1],
                    "requests": sum(server.requests.values()),
                    "cpu_s": cpu - baseline[2],
                }
            elif command == "change":
                share, new = args
                chosen = rng.sample(feeds, round(share * len(feeds)))
                now = time.time()
                for feed in chosen:
                    add_items(feed, new, rng, now)
                    document = render(feed)
                    kind = KINDS[feed.meta.kind]
                    server.set(feed.meta.path, document, content_type=kind, **options)
                reply = [feed.meta.id for feed in chosen]
            elif command == "sizes":
                reply = {}
                for feed in feeds:
                    resource_ = server.get(feed.meta.path)
                    reply[feed.meta.id] = len(resource_.payload) if resource_ else 0
            elif command == "stop":
                conn.send(None)
                return
            conn.send(reply)
            if command == "counters":
                server.reset_counters()
                baseline = (writes.total, server.bytes_sent, _cpu())
    finally:
        server.stop()


class Farm:
    """The parent's handle on the feed server process."""

    def __init__(self, count: int, items: int, *, seed: int = 1, gzip: bool = False) -> None:
        """Describe the farm; `start()` runs it."""
        self._args = (count, items, seed, gzip)
        self._conn: Connection | None = None
        self._process: Any = None
        self.base_url = ""
        self.feeds: list[FarmFeed] = []
        self.generated_s = 0.0

    def start(self) -> Farm:
        """Start the child process (spawned: it inherits nothing) and wait until it serves."""
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, *self._args), daemon=True)
        self._process.start()
        child.close()
        self._conn = parent
        ready = parent.recv()
        self.base_url = ready["base_url"]
        self.feeds = ready["feeds"]
        self.generated_s = ready["generated_s"]
        return self

    def _call(self, *command: Any) -> Any:
        assert self._conn is not None, "the farm is not running"
        self._conn.send(command)
        return self._conn.recv()

    def url(self, feed: FarmFeed) -> str:
        """The feed's URL on the farm."""
        return f"{self.base_url}{feed.path}"

    def counters(self) -> dict[str, float]:
        """Bytes written (wire: headers and bodies; body), requests and CPU since the last call."""
        return dict(self._call("counters"))

    def change(self, share: float, new_items: int) -> list[str]:
        """Publish `new_items` new items on `share` of the feeds; return their ids."""
        return list(self._call("change", share, new_items))

    def sizes(self) -> dict[str, int]:
        """What a full answer (200) of each feed costs in body bytes now, by feed id."""
        return dict(self._call("sizes"))

    def stop(self) -> None:
        """Stop serving and end the child process."""
        if self._conn is not None:
            with contextlib.suppress(EOFError, OSError):  # the child is already gone
                self._call("stop")
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.terminate()
            self._process = None

    def __enter__(self) -> Farm:
        """Start on entering a with-block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving a with-block."""
        self.stop()
