"""The English catalog: every text the bot writes, as a Telegram HTML template keyed by name.

bot/i18n.py fills them (escaping, counted phrases, direction marks); config/texts_ar.py is the
Arabic catalog with the same keys. A `{count:phrase}` placeholder takes a whole number and is
filled with the catalog's `count.phrase.<form>` in the form the language's plural rule gives.
"""

from __future__ import annotations

from typing import Final

EN: Final[dict[str, str]] = {
    "start.welcome": (
        "<b>Welcome to alertbot.</b> I watch {sources:news_source} and send you one short "
        "summary the moment one of them reports a story that matches your rules.\n\n"
        "Alerts are on, from all sources. Add a rule to start, for example:\n"
        '<code>/watch "US base" drone</code>\n'
        "<code>/watch قاعدة أمريكية مسيرة</code>\n"
        "<code>/watch *</code> (every item)\n\n"
        "{rules_note}/help lists every command."
    ),
    "start.has_rules": "You have {count:rule}: /rules shows them.\n",
    # /help: an intro, then each section of the command table with its commands' lines.
    "help.intro": "<b>alertbot</b> sends a summary when a source reports a story matching your rules.",
    "help.section.rules": "<b>Rules</b>",
    "help.section.sources": "<b>Sources</b>",
    "help.section.reading": "<b>Reading</b>",
    "help.section.settings": "<b>Settings</b>",
    "help.section.admin": "<b>Admin</b>",
    "help.watch": (
        "/watch <i>words</i> – alert when an item has all these words, in English and Arabic "
        "reports alike (add <code>lang:en</code> or <code>lang:ar</code> for one language)\n"
        "/watch * – alert on every item of your sources"
    ),
    "help.rules": "/rules – your rules, numbered",
    "help.unwatch": "/unwatch <i>n</i> – remove rule <i>n</i>",
    "help.sources": "/sources – the sources I watch, ✅ for yours",
    "help.subscribe": (
        "/subscribe – alerts on, from all sources\n"
        "/subscribe <i>source</i> – add a source\n"
        "/subscribe @<i>channel</i> – also post alerts to a channel you and I administer"
    ),
    "help.unsubscribe": (
        "/unsubscribe <i>source</i> – drop a source\n/unsubscribe – alerts off (rules are kept)"
    ),
    "help.latest": (
        "/latest [<i>words</i>] [<i>n</i>] – the newest stories from your sources ({latest} by "
        "default, at most 20), only those matching <i>words</i> if given"
    ),
    "help.settings": "/settings – alerts or digests, quiet hours, pause, time zone, language",
    "help.pause": "/pause [<i>2h</i>] – no alerts for a while, or until /resume",
    "help.quiet": "/quiet <i>23-7</i> – quiet hours (<code>/quiet off</code> ends them)",
    "help.tz": "/tz <i>Asia/Baghdad</i> – your time zone",
    "help.lang": "/lang – English or Arabic",
    "help.start": "/start – the welcome message and examples again",
    "help.feeds": "/feeds – every feed with its health",
    "help.addfeed": "/addfeed <i>url</i> [<i>name</i>] – add a feed (fetched once to check it)",
    "help.removefeed": "/removefeed <i>id</i> – remove a feed",
    "help.failed": "/failed – alerts that could not be delivered",
    "help.stats": "/stats – chats, feeds, the last hour and the delivery backlog at a glance",
    "subscribe.all": "Alerts on, from all sources ({count:source}).",
    "subscribe.already_all": "You already follow all sources, including {names}. Alerts are on.",
    "subscribe.added": "Alerts on. You now follow: {names}.",
    "subscribe.no_rules": "\nYou have no rules yet: add one with <code>/watch words</code>.",
    "unsubscribe.all": "Alerts off. Your rules and sources are kept: /subscribe turns alerts on again.",
    "unsubscribe.removed": "Stopped: {names}. You follow {count:source}.",
    "unsubscribe.none_left": "Stopped: {names}. You follow no sources now: /subscribe follows them all.",
    "unsubscribe.not_following": "You do not follow {names}. /sources shows what you follow.",
    "sources.unknown": "I do not know the source {names}. /sources lists them.",
    "sources.header": "<b>Sources</b> (✅ you follow it; use the name in brackets with /subscribe)",
    "sources.line": "{mark} {name} ({id})",
    "sources.alerts_off": "\nAlerts are off: /subscribe turns them on.",
    "sources.empty": "The catalog has no sources yet.",
    "watch.usage": (
        'Tell me what to watch for, e.g. <code>/watch "US base" drone</code> '
        "(all the words must appear), or <code>/watch *</code> for every item."
    ),
    "watch.invalid": "That rule cannot be used: {reason}.",
    "rule.too_deep": (
        "line {line}, col {column}: the rule is nested more than {limit:level} deep "
        "(parentheses, NOT, title:, NEAR): write it with fewer levels"
    ),
    "watch.duplicate": "You already watch that: it is rule {number}.",
    "watch.limit": "You have {count:rule}, the most a chat can have. Remove one with /unwatch first.",
    "watch.added": "Rule {number} added: <code>{rule}</code>",
    "watch.reading.en": "In English reports it reads: <code>{reading}</code>",
    "watch.reading.ar": "In Arabic reports it reads: <code>{reading}</code>",
    "watch.unread.en": (
        "In English reports it finds nothing: none of its words carries over to English "
        "(add the English words with OR)"
    ),
    "watch.unread.ar": (
        "In Arabic reports it finds nothing: none of its words carries over to Arabic "
        "(add the Arabic words with OR)"
    ),
    "watch.name_mark": "{mark} marks a name found by its sound in the other script.",
    "watch.preview": (
        "It would have matched {count} of the last {total:item} ({english} in English, "
        "{arabic} in Arabic); the newest:\n{example}"
    ),
    "watch.preview_none": "It would have matched none of the last {total:item}.",
    "watch.preview_empty": "No items from your sources yet to try it on.",
    "watch.alerts_off": "\nAlerts are off for this chat: /subscribe turns them on.",
    "unwatch.usage": "Say which rule to remove: <code>/unwatch 2</code> (the numbers are in /rules).",
    "unwatch.missing": "There is no rule {number}. /rules lists yours.",
    "unwatch.removed": "Removed rule {number}: <code>{rule}</code>",
    "rules.none": 'You have no rules yet. Add one: <code>/watch "US base" drone</code>',
    "rules.header": "<b>Your rules</b> (remove one with its ✖ button or /unwatch <i>n</i>)",
    "rules.line": "{number}. <code>{rule}</code>",
    "rules.unused": (
        "{number}. <code>{rule}</code> ⚠️ not in use since the rule language changed: {reason}. "
        "Remove it, or /watch it again as the language now allows."
    ),
    "rules.stale": "This list is out of date: send /rules again.",
    "latest.none": "Nothing yet from your sources.",
    "latest.header": "<b>Latest from your sources</b>",
    "unknown_command": "I do not know {command}. /help lists what I can do.",
    "not_a_command": "Send /help to see what I can do, or <code>/watch words</code> to add a rule.",
    "error": "Something went wrong on my side; please try again in a minute.",
    "admin.only": "Only the bot's admins can do that.",
    "feeds.header": "<b>Feeds</b> ({count}): 🟢 fine · 🟠 failing · 🔴 failing for a day · ⚪ not polled yet · ⛔ off · ✂️ capped",
    "feeds.line": "{mark} <b>{name}</b> ({id}): {detail}",
    "feeds.ok": "last fetched {ago}, {items:item} so far",
    "feeds.never": "not polled yet",
    "feeds.failing": "{count:failure} in a row: {reason}",
    "feeds.failing_long": "failing for {span}: {reason}",
    "feeds.disabled": "no longer polled: {reason}",
    "feeds.next": " · next poll {when}",
    "feeds.skipping": " · ✂️ lists more than a poll reads: a poll reads only its newest {limit:entry} ({skipped} left out last time)",
    "feeds.dropping": " · ✂️ it keeps only its newest {limit:item} ({dropped:older_item} dropped so far)",
    "stats.header": "<b>Status</b>",
    "stats.chats": "<b>Chats</b>: {started} started · {active} reachable · {alerted} getting alerts · {rules:rule}",
    "stats.feeds": "<b>Feeds</b>: {feeds} in the catalog · {ok} fine · {failing} failing ({failing_long} for a day) · {never} not polled yet · {off} off",
    "stats.hour": "<b>Last hour</b>: {items:new_item} · {poll_errors:failed_poll} · {sent:alert} sent · {retries:retry} · {floods:slow_down} (429) · {dead} given up",
    "stats.delivery": "<b>Delivery</b>: {backlog} waiting (room for {capacity}) · oldest queued {oldest} · {senders:sender} running",
    "stats.nothing_waits": "– (nothing waits)",
    "stats.near_full": "⚠️ The delivery backlog is near its limit: senders are falling behind (Telegram slow or down?), and past the limit the oldest alerts are dropped.",
    "stats.capped": "✂️ <b>Capped</b>: {count:feed} kept within the storage bounds in the last day (/feeds shows which)",
    "stats.failed": "<b>Failed deliveries</b> kept: {count} (/failed lists them)",
    "failed.none": "No failed deliveries.",
    "failed.header": "<b>Failed deliveries</b> (the newest {count})",
    "failed.line": "{when} · chat {chat} · {title} · {attempts:attempt}: {error}",
    "addfeed.usage": "Give the feed's address, and a name if you like: <code>/addfeed https://example.com/rss.xml Example News</code>",
    "addfeed.no_scheme": "Could not add {url}: a feed address starts with http:// or https://, like <code>https://example.com/rss.xml</code>.",
    "addfeed.known": "That feed is already in the catalog as {name} ({id}).",
    "addfeed.failed": "Could not add {url}: {reason}",
    "addfeed.invalid": (
        "Could not add {url}: that is not a valid web address ({detail}). A feed address looks "
        "like <code>https://example.com/rss.xml</code>."
    ),
    "addfeed.added": "Added <b>{name}</b> ({id}): “{title}”, {count:item}, the newest: {newest}\nIts current items are recorded without alerts; new ones will alert.",
    "removefeed.usage": "Say which feed to remove: <code>/removefeed id</code> (ids are in /feeds).",
    "removefeed.removed": "Removed {name} ({id}) from the catalog.",
    "alert.read_more": "Read the full story",
    "alert.rule": "Rule: {rule}",
    "alert.also": "Also: {outlets}",
    "list.separator": ", ",
    "time.months": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "time.just_now": "just now",
    "time.ago": "{span} ago",
    "time.in": "in {span}",
    "time.now": "now",
    "burst.header": "<b>{count} more from {source}</b>, listed together:",
    "burst.more": "… and {count} more.",
    "burst.latest": "/latest lists them all.",
    "digest.header": "<b>Your digest</b>: {count:new_story} matched your rules",
    "digest.also": "{count:more_outlet}",
    "digest.more": "… {count:more_story}: /latest lists them.",
    "latest.invalid": "That filter cannot be used: {reason}.",
    "latest.none_matching": "None of the recent stories from your sources match that.",
    "latest.range": "I show from 1 to {most:story} at a time: <code>/latest 10</code>, or <code>/latest drone 10</code>.",
    "latest.more": "More ›",
    "latest.no_more": "No more stories.",
    "latest.stale": "This list has expired: send /latest again.",
    "settings.header": "<b>Settings</b> (tap to change)",
    "settings.mode.instant": "Delivery: an alert for each story, as it breaks",
    "settings.mode.hourly": "Delivery: one digest an hour",
    "settings.mode.daily": "Delivery: one digest a day at {hour}:00",
    "settings.quiet.off": "Quiet hours: none",
    "settings.quiet.on": "Quiet hours: {start}:00–{end}:00 (alerts wait and come as one digest)",
    "settings.alerts.on": "Alerts: on",
    "settings.alerts.paused_until": "Alerts: paused until {until}",
    "settings.alerts.paused": "Alerts: paused until you resume",
    "settings.tz": "Time zone: {tz} (it is {now} there)",
    "settings.lang": "Language: English",
    "settings.saved": "Saved",
    "settings.stale": "This button is out of date: send /settings again.",
    "button.instant": "⚡ Each story",
    "button.hourly": "🕐 Hourly digest",
    "button.daily": "📅 Daily at {hour}:00",
    "button.quiet_off": "🔔 No quiet hours",
    "button.quiet": "🌙 {start}–{end}",
    "button.pause_hours": "⏸ {hours} h",
    "button.pause": "⏸ Until I resume",
    "button.resume": "▶️ Resume",
    "button.remove": "✖ {number}",
    "zone.UTC": "UTC",
    "zone.Asia/Baghdad": "Baghdad",
    "zone.Asia/Damascus": "Damascus",
    "zone.Asia/Riyadh": "Riyadh",
    "zone.Europe/London": "London",
    "zone.America/New_York": "New York",
    "pause.until": "Alerts paused until {until}. /resume turns them back on.",
    "pause.forever": "Alerts paused. /resume turns them back on.",
    "pause.usage": "Say for how long: <code>/pause 30m</code>, <code>/pause 2h</code>, <code>/pause 1d</code>, or just /pause.",
    "resume.done": "Alerts are on again.",
    "quiet.set": "Quiet hours: {start}:00–{end}:00 in {tz}. Alerts in them come as one digest when they end.",
    "quiet.off": "No quiet hours any more.",
    "quiet.usage": "Give the hours: <code>/quiet 23-7</code>, or <code>/quiet off</code>.",
    "tz.set": "Time zone: {tz}. It is {now} there.",
    "tz.unknown": "I do not know the time zone {tz}. Use a name such as <code>Asia/Baghdad</code> or <code>Europe/London</code>.",
    "tz.usage": "Your time zone is {tz}. Change it with a name such as <code>/tz Asia/Riyadh</code>.",
    "lang.choose": "Which language should I write in?",
    "lang.set": "I will write in English.",
    "lang.unsupported": "I cannot write in {wanted}. I write in {langs}: which one should I use?",
    "group.admins_only": "In a group, only its admins can change rules, sources and settings.",
    "start.member": (
        "<b>Welcome to alertbot.</b> I alert this group the moment a news source reports a story "
        "that matches its rules.\n\nOnly the group's admins turn its alerts on and change its "
        "rules, sources and settings; everyone can use /latest, /rules and /help."
    ),
    "channel.added": "Alerts for this chat's rules and sources will also be posted to {channel}.",
    "channel.removed": "Alerts are no longer posted to {channel}.",
    "channel.not_found": "I cannot find the channel {channel}. Check its @name (it must be public).",
    "channel.not_channel": "{channel} is not a channel.",
    "channel.bot_not_admin": "Make me an admin of {channel}, allowed to post, first.",
    "channel.user_not_admin": "Only an admin of {channel} can do that.",
    "channel.not_linked": "{channel} does not get this chat's alerts.",
    "gate.private": "This bot is private: ask its operator to add you.",
    "gate.slow_down": "Too many commands at once: please wait {seconds:second}.",
    "command.start": "Start alerts and see examples",
    "command.help": "What I can do",
    "command.watch": "Add a rule: /watch words",
    "command.rules": "Your rules",
    "command.unwatch": "Remove a rule: /unwatch n",
    "command.latest": "Newest stories from your sources",
    "command.sources": "The news sources",
    "command.subscribe": "Alerts on (all sources, or one)",
    "command.unsubscribe": "Alerts off (or drop one source)",
    "command.settings": "Digests, quiet hours, pause, time zone",
    "command.lang": "Language: English or Arabic",
    "command.feeds": "Every feed and its health (admins)",
    "command.addfeed": "Add a feed: /addfeed url (admins)",
    "command.removefeed": "Remove a feed: /removefeed id (admins)",
    "command.failed": "Alerts that could not be delivered (admins)",
    "command.stats": "The bot at a glance (admins)",
    # Counted phrases, each in every plural form of the language (see the module's docstring).
    "count.news_source.one": "{n} news source",
    "count.news_source.other": "{n} news sources",
    "count.source.one": "{n} source",
    "count.source.other": "{n} sources",
    "count.rule.one": "{n} rule",
    "count.rule.other": "{n} rules",
    "count.level.one": "{n} level",
    "count.level.other": "{n} levels",
    "count.item.one": "{n} item",
    "count.item.other": "{n} items",
    "count.entry.one": "{n} entry",
    "count.entry.other": "{n} entries",
    "count.older_item.one": "{n} older item",
    "count.older_item.other": "{n} older items",
    "count.feed.one": "{n} feed",
    "count.feed.other": "{n} feeds",
    "count.new_item.one": "{n} new item",
    "count.new_item.other": "{n} new items",
    "count.story.one": "{n} story",
    "count.story.other": "{n} stories",
    "count.new_story.one": "{n} new story",
    "count.new_story.other": "{n} new stories",
    "count.more_story.one": "and {n} more story",
    "count.more_story.other": "and {n} more stories",
    "count.more_outlet.one": "+{n} outlet",
    "count.more_outlet.other": "+{n} outlets",
    "count.failure.one": "{n} failure",
    "count.failure.other": "{n} failures",
    "count.failed_poll.one": "{n} failed poll",
    "count.failed_poll.other": "{n} failed polls",
    "count.alert.one": "{n} alert",
    "count.alert.other": "{n} alerts",
    "count.retry.one": "{n} retry",
    "count.retry.other": "{n} retries",
    "count.slow_down.one": "{n} slow-down answer",
    "count.slow_down.other": "{n} slow-down answers",
    "count.sender.one": "{n} sender",
    "count.sender.other": "{n} senders",
    "count.attempt.one": "{n} attempt",
    "count.attempt.other": "{n} attempts",
    "count.second.one": "{n} s",
    "count.second.other": "{n} s",
    "count.minute.one": "{n} min",
    "count.minute.other": "{n} min",
    "count.hour.one": "{n} h",
    "count.hour.other": "{n} h",
    "count.day.one": "{n} day",
    "count.day.other": "{n} days",
}
