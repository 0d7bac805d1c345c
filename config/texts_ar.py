"""The Arabic message catalog: the same keys and placeholders as the English one in texts.py."""

from __future__ import annotations

from typing import Final

AR: Final[dict[str, str]] = {
    "start.welcome": (
        "<b>أهلاً بك في alertbot.</b> أتابع {sources} مصدراً إخبارياً وأرسل إليك ملخصاً قصيراً "
        "لحظة نشر أي منها خبراً يطابق قواعدك.\n\n"
        "التنبيهات مفعّلة من جميع المصادر. أضف قاعدة للبدء، مثلاً:\n"
        "<code>/watch قاعدة أمريكية مسيرة</code>\n"
        '<code>/watch "US base" drone</code>\n'
        "<code>/watch *</code> (كل الأخبار)\n\n"
        "{rules_note}/help يعرض كل الأوامر."
    ),
    "start.has_rules": "لديك {count} قاعدة: /rules يعرضها.\n",
    "help": (
        "<b>alertbot</b> يرسل ملخصاً حين ينشر مصدر خبراً يطابق قواعدك.\n\n"
        "<b>القواعد</b>\n"
        "/watch <i>كلمات</i> – تنبيه حين يحوي الخبر كل هذه الكلمات\n"
        "/watch * – تنبيه بكل أخبار مصادرك\n"
        "/rules – قواعدك مرقّمة\n"
        "/unwatch <i>n</i> – حذف القاعدة <i>n</i>\n\n"
        "<b>المصادر</b>\n"
        "/sources – المصادر التي أتابعها، و✅ لما تتابعه\n"
        "/subscribe – تفعيل التنبيهات من كل المصادر\n"
        "/subscribe <i>مصدر</i> – إضافة مصدر\n"
        "/unsubscribe <i>مصدر</i> – إيقاف مصدر\n"
        "/unsubscribe – إيقاف التنبيهات (تبقى القواعد محفوظة)\n"
        "/subscribe @<i>قناة</i> – نشر التنبيهات أيضاً في قناة نشرف عليها أنا وأنت\n\n"
        "<b>القراءة</b>\n"
        "/latest [<i>كلمات</i>] [<i>n</i>] – أحدث الأخبار من مصادرك ({latest} افتراضياً، "
        "20 على الأكثر)، وما يطابق <i>الكلمات</i> فقط إن ذكرتها\n\n"
        "<b>الإعدادات</b>\n"
        "/settings – تنبيهات فورية أو ملخصات، ساعات الهدوء، الإيقاف المؤقت، المنطقة الزمنية، اللغة\n"
        "/pause [<i>2h</i>] – إيقاف التنبيهات لفترة، أو حتى /resume\n"
        "/quiet <i>23-7</i> – ساعات الهدوء (<code>/quiet off</code> يلغيها)\n"
        "/tz <i>Asia/Baghdad</i> – منطقتك الزمنية\n"
        "/lang – العربية أو الإنجليزية\n"
        "/start – رسالة الترحيب والأمثلة من جديد"
    ),
    "help.admin": (
        "<b>للمشرفين</b>\n"
        "/feeds – كل المصادر وحالتها\n"
        "/addfeed <i>url</i> [<i>اسم</i>] – إضافة مصدر (يُجلب مرة للتحقق منه)\n"
        "/removefeed <i>id</i> – حذف مصدر\n"
        "/failed – تنبيهات تعذّر إيصالها\n"
        "/stats – المحادثات والمصادر وآخر ساعة وطابور الإرسال في لمحة"
    ),
    "subscribe.all": "التنبيهات مفعّلة من كل المصادر ({count}).",
    "subscribe.already_all": "أنت تتابع كل المصادر أصلاً، ومنها {names}. التنبيهات مفعّلة.",
    "subscribe.added": "التنبيهات مفعّلة. تتابع الآن: {names}.",
    "subscribe.no_rules": "\nليست لديك قواعد بعد: أضف واحدة بـ <code>/watch كلمات</code>.",
    "unsubscribe.all": "أوقفت التنبيهات. قواعدك ومصادرك محفوظة: /subscribe يعيد تفعيلها.",
    "unsubscribe.removed": "أوقفت: {names}. تتابع {count} مصدراً.",
    "unsubscribe.none_left": "أوقفت: {names}. لا تتابع أي مصدر الآن: /subscribe يتابعها كلها.",
    "unsubscribe.not_following": "أنت لا تتابع {names}. /sources يعرض ما تتابعه.",
    "sources.unknown": "لا أعرف المصدر {names}. /sources يعرض المصادر.",
    "sources.header": "<b>المصادر</b> (✅ تتابعه؛ استخدم الاسم بين القوسين مع /subscribe)",
    "sources.line": "{mark} {name} ({id})",
    "sources.alerts_off": "\nالتنبيهات متوقفة: /subscribe يفعّلها.",
    "sources.empty": "لا مصادر في القائمة بعد.",
    "watch.usage": (
        "أخبرني بما تريد متابعته، مثلاً <code>/watch قاعدة أمريكية مسيرة</code> "
        "(يجب أن ترد كل الكلمات)، أو <code>/watch *</code> لكل الأخبار."
    ),
    "watch.invalid": "لا يمكن استخدام هذه القاعدة: {reason}.",
    "rule.too_deep": (
        "السطر {line}، العمود {column}: القاعدة متداخلة أكثر من {limit} مستوى "
        "(أقواس، NOT، title:، NEAR): اكتبها بمستويات أقل"
    ),
    "watch.duplicate": "تتابع هذا أصلاً: إنها القاعدة {number}.",
    "watch.limit": "لديك {count} قاعدة، وهو الحد الأقصى للمحادثة. احذف واحدة بـ /unwatch أولاً.",
    "watch.added": "أضيفت القاعدة {number}: <code>{rule}</code>\nقُرئت هكذا: <code>{reading}</code>",
    "watch.preview": "كانت ستطابق {count} من آخر {total} خبراً؛ أحدثها:\n{example}",
    "watch.preview_none": "لم تكن لتطابق أياً من آخر {total} خبراً.",
    "watch.preview_empty": "لا أخبار من مصادرك بعد لتجربتها عليها.",
    "watch.alerts_off": "\nالتنبيهات متوقفة في هذه المحادثة: /subscribe يفعّلها.",
    "unwatch.usage": "حدّد القاعدة التي تريد حذفها: <code>/unwatch 2</code> (الأرقام في /rules).",
    "unwatch.missing": "لا توجد قاعدة رقم {number}. /rules يعرض قواعدك.",
    "unwatch.removed": "حُذفت القاعدة {number}: <code>{rule}</code>",
    "rules.none": "ليست لديك قواعد بعد. أضف واحدة: <code>/watch قاعدة أمريكية مسيرة</code>",
    "rules.header": "<b>قواعدك</b> (احذف واحدة بالزر أو بـ /unwatch <i>n</i>)",
    "rules.line": "{number}. <code>{rule}</code>",
    "rules.stale": "هذه القائمة قديمة: أرسل /rules من جديد.",
    "latest.none": "لا شيء بعد من مصادرك.",
    "latest.header": "<b>الأحدث من مصادرك</b>",
    "unknown_command": "لا أعرف الأمر {command}. /help يعرض ما يمكنني فعله.",
    "not_a_command": "أرسل /help لترى ما يمكنني فعله، أو <code>/watch كلمات</code> لإضافة قاعدة.",
    "error": "حدث خطأ من جهتي؛ يرجى المحاولة بعد دقيقة.",
    "admin.only": "هذا الأمر لمشرفي البوت فقط.",
    "feeds.header": "<b>المصادر</b> ({count}): 🟢 سليم · 🟠 يتعثر · 🔴 يتعثر منذ يوم · ⚪ لم يُجلب بعد · ⛔ متوقف · ✂️ مقيَّد",
    "feeds.line": "{mark} <b>{name}</b> ({id}): {detail}",
    "feeds.ok": "آخر جلب {ago}، {items} خبراً حتى الآن",
    "feeds.never": "لم يُجلب بعد",
    "feeds.failing": "{count} إخفاق متتالٍ: {reason}",
    "feeds.failing_long": "يتعثر منذ {since}: {reason}",
    "feeds.disabled": "لم يعد يُجلب: {reason}",
    "feeds.next": " · الجلب التالي {when}",
    "feeds.skipping": " · ✂️ ينشر أكثر مما يُقرأ في الجلب الواحد: تُقرأ أحدث مدخلاته فقط (الحد {limit}، وأُهمل {skipped} في آخر مرة)",
    "feeds.dropping": " · ✂️ تُحفظ أحدث أخباره فقط (الحد {limit}، وحُذف {dropped} من الأقدم حتى الآن)",
    "stats.header": "<b>الحالة</b>",
    "stats.chats": "<b>المحادثات</b>: {started} بدأت · {active} يمكن الوصول إليها · {alerted} تتلقى التنبيهات · {rules} قاعدة",
    "stats.feeds": "<b>المصادر</b>: {feeds} في القائمة · {ok} سليم · {failing} يتعثر ({failing_long} منذ يوم) · {never} لم يُجلب بعد · {off} متوقف",
    "stats.hour": "<b>آخر ساعة</b>: {items} خبراً جديداً · {poll_errors} جلباً فاشلاً · {sent} تنبيهاً مرسلاً · {retries} إعادة محاولة · {floods} طلب إبطاء (429) · {dead} تخلّينا عنه",
    "stats.delivery": "<b>الإرسال</b>: {backlog} في الانتظار (السعة {capacity}) · أقدمها منذ {oldest} · {senders} مُرسِل يعمل",
    "stats.nothing_waits": "– (لا شيء ينتظر)",
    "stats.near_full": "⚠️ طابور الإرسال يقترب من حده: المُرسِلون متأخرون (تيليغرام بطيء أو متوقف؟)، وبعد الحد تُحذف أقدم التنبيهات.",
    "stats.capped": "✂️ <b>مصادر مقيَّدة</b>: {count} بلغت حدود التخزين خلال آخر يوم (/feeds يبيّنها)",
    "stats.failed": "<b>تنبيهات فشل إيصالها</b> محفوظة: {count} (/failed يعرضها)",
    "failed.none": "لا تنبيهات فشل إيصالها.",
    "failed.header": "<b>تنبيهات فشل إيصالها</b> (أحدث {count})",
    "failed.line": "{when} · المحادثة {chat} · {title} · {attempts} محاولة: {error}",
    "addfeed.usage": "أعطني عنوان المصدر، واسماً إن شئت: <code>/addfeed https://example.com/rss.xml Example News</code>",
    "addfeed.known": "هذا المصدر موجود في القائمة باسم {name} ({id}).",
    "addfeed.failed": "تعذّرت إضافة {url}: {reason}",
    "addfeed.invalid": (
        "تعذّرت إضافة {url}: هذا ليس عنوان ويب صالحاً ({detail}). عنوان المصدر يبدو هكذا: "
        "<code>https://example.com/rss.xml</code>."
    ),
    "addfeed.added": "أضيف <b>{name}</b> ({id}): «{title}»، {count} خبراً، أحدثها: {newest}\nسُجّلت أخباره الحالية دون تنبيه؛ الجديدة ستنبّه.",
    "removefeed.usage": "حدّد المصدر الذي تريد حذفه: <code>/removefeed id</code> (المعرّفات في /feeds).",
    "removefeed.removed": "حُذف {name} ({id}) من القائمة.",
    "alert.read_more": "اقرأ الخبر كاملاً",
    "alert.rule": "القاعدة: {rule}",
    "alert.also": "أيضاً: {outlets}",
    "time.months": "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
    "time.just_now": "الآن",
    "time.ago": "منذ {span}",
    "time.minute.one": "دقيقة",
    "time.minute.two": "دقيقتين",
    "time.minute.few": "{n} دقائق",
    "time.minute.many": "{n} دقيقة",
    "time.hour.one": "ساعة",
    "time.hour.two": "ساعتين",
    "time.hour.few": "{n} ساعات",
    "time.hour.many": "{n} ساعة",
    "time.day.one": "يوم",
    "time.day.two": "يومين",
    "time.day.few": "{n} أيام",
    "time.day.many": "{n} يوماً",
    "burst.header": "<b>{count} أخرى من {source}</b>، مجمّعة معاً:",
    "burst.more": "… و{count} غيرها.",
    "burst.latest": "/latest يعرضها كلها.",
    "digest.header": "<b>ملخصك</b>: {count} خبراً جديداً طابق قواعدك",
    "digest.also": "+{count} مصادر",
    "digest.more": "… و{count} أخرى: /latest يعرضها.",
    "latest.invalid": "لا يمكن استخدام هذا المرشّح: {reason}.",
    "latest.none_matching": "لا شيء من أحدث أخبار مصادرك يطابق ذلك.",
    "latest.more": "المزيد ›",
    "latest.no_more": "لا مزيد من الأخبار.",
    "latest.stale": "انتهت صلاحية هذه القائمة: أرسل /latest من جديد.",
    "settings.header": "<b>الإعدادات</b> (اضغط للتغيير)",
    "settings.mode.instant": "الإرسال: تنبيه لكل خبر لحظة نشره",
    "settings.mode.hourly": "الإرسال: ملخص كل ساعة",
    "settings.mode.daily": "الإرسال: ملخص يومي الساعة {hour}:00",
    "settings.quiet.off": "ساعات الهدوء: لا يوجد",
    "settings.quiet.on": "ساعات الهدوء: {start}:00–{end}:00 (تنتظر التنبيهات ثم تصل في ملخص واحد)",
    "settings.alerts.on": "التنبيهات: مفعّلة",
    "settings.alerts.paused_until": "التنبيهات: موقوفة حتى {until}",
    "settings.alerts.paused": "التنبيهات: موقوفة حتى تستأنفها",
    "settings.tz": "المنطقة الزمنية: {tz} (الساعة هناك {now})",
    "settings.lang": "اللغة: العربية",
    "settings.saved": "حُفظ",
    "settings.stale": "هذا الزر قديم: أرسل /settings من جديد.",
    "button.instant": "⚡ كل خبر",
    "button.hourly": "🕐 ملخص كل ساعة",
    "button.daily": "📅 يومياً {hour}:00",
    "button.quiet_off": "🔔 بلا ساعات هدوء",
    "button.quiet": "🌙 {start}–{end}",
    "button.pause_hours": "⏸ {hours} س",
    "button.pause": "⏸ حتى أستأنف",
    "button.resume": "▶️ استئناف",
    "button.remove": "✖ {number}",
    "zone.UTC": "UTC",
    "zone.Asia/Baghdad": "بغداد",
    "zone.Asia/Damascus": "دمشق",
    "zone.Asia/Riyadh": "الرياض",
    "zone.Europe/London": "لندن",
    "zone.America/New_York": "نيويورك",
    "pause.until": "أوقفت التنبيهات حتى {until}. /resume يعيدها.",
    "pause.forever": "أوقفت التنبيهات. /resume يعيدها.",
    "pause.usage": "حدّد المدة: <code>/pause 30m</code> أو <code>/pause 2h</code> أو <code>/pause 1d</code>، أو /pause وحده.",
    "resume.done": "عادت التنبيهات.",
    "quiet.set": "ساعات الهدوء: {start}:00–{end}:00 بتوقيت {tz}. تصل التنبيهات التي تقع فيها في ملخص واحد عند انتهائها.",
    "quiet.off": "ألغيت ساعات الهدوء.",
    "quiet.usage": "حدّد الساعات: <code>/quiet 23-7</code>، أو <code>/quiet off</code>.",
    "tz.set": "المنطقة الزمنية: {tz}. الساعة هناك {now}.",
    "tz.unknown": "لا أعرف المنطقة الزمنية {tz}. استخدم اسماً مثل <code>Asia/Baghdad</code> أو <code>Europe/London</code>.",
    "tz.usage": "منطقتك الزمنية {tz}. غيّرها باسم مثل <code>/tz Asia/Riyadh</code>.",
    "lang.choose": "بأي لغة أكتب إليك؟",
    "lang.set": "سأكتب إليك بالعربية.",
    "group.admins_only": "في المجموعات، يغيّر القواعد والمصادر والإعدادات مشرفو المجموعة فقط.",
    "start.member": (
        "<b>أهلاً بك في alertbot.</b> أنبّه هذه المجموعة لحظة نشر أي مصدر إخباري خبراً "
        "يطابق قواعدها.\n\nمشرفو المجموعة وحدهم يفعّلون تنبيهاتها ويغيّرون قواعدها ومصادرها "
        "وإعداداتها؛ ويمكن للجميع استخدام /latest و/rules و/help."
    ),
    "channel.added": "ستُنشر تنبيهات قواعد هذه المحادثة ومصادرها في {channel} أيضاً.",
    "channel.removed": "لن تُنشر التنبيهات في {channel} بعد الآن.",
    "channel.not_found": "لا أجد القناة {channel}. تحقّق من اسمها بعد @ (يجب أن تكون عامة).",
    "channel.not_channel": "{channel} ليست قناة.",
    "channel.bot_not_admin": "اجعلني مشرفاً في {channel} مع صلاحية النشر أولاً.",
    "channel.user_not_admin": "هذا لمشرفي {channel} فقط.",
    "channel.not_linked": "{channel} لا تتلقى تنبيهات هذه المحادثة.",
    "gate.private": "هذا البوت خاص: اطلب من مشغّله إضافتك.",
    "gate.slow_down": "أوامر كثيرة دفعة واحدة: يرجى الانتظار {seconds} ثانية.",
    "command.start": "بدء التنبيهات ورؤية أمثلة",
    "command.help": "ما يمكنني فعله",
    "command.watch": "إضافة قاعدة: /watch كلمات",
    "command.rules": "قواعدك",
    "command.unwatch": "حذف قاعدة: /unwatch n",
    "command.latest": "أحدث الأخبار من مصادرك",
    "command.sources": "مصادر الأخبار",
    "command.subscribe": "تفعيل التنبيهات (كل المصادر أو أحدها)",
    "command.unsubscribe": "إيقاف التنبيهات (أو إيقاف مصدر)",
    "command.settings": "الملخصات وساعات الهدوء والإيقاف والمنطقة الزمنية",
    "command.lang": "اللغة: العربية أو الإنجليزية",
    "command.feeds": "كل المصادر وحالتها (للمشرفين)",
    "command.addfeed": "إضافة مصدر: /addfeed الرابط (للمشرفين)",
    "command.removefeed": "حذف مصدر: /removefeed المعرّف (للمشرفين)",
    "command.failed": "تنبيهات تعذّر إيصالها (للمشرفين)",
    "command.stats": "حال البوت بلمحة (للمشرفين)",
}
