"""`/subscribe @channel` and `/unsubscribe @channel`: alerts posted to a channel both administer."""

from __future__ import annotations

from telegram import ChatMemberAdministrator, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden

from bot.i18n import CURRENT_LANG, text
from handlers.common import Context, chat_id, reply

ADMINS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


async def subscribe_channel(update: Update, context: Context, name: str) -> None:
    """Post this chat's alerts to the channel, if the user and the bot both administer it."""
    user = update.effective_user
    try:
        channel = await context.bot.get_chat(name)
    except (BadRequest, Forbidden):
        await reply(update, text("channel.not_found", channel=name))
        return
    if channel.type != ChatType.CHANNEL:
        await reply(update, text("channel.not_channel", channel=name))
        return
    try:
        bot_member = await context.bot.get_chat_member(channel.id, context.bot.id)
        user_member = (
            await context.bot.get_chat_member(channel.id, user.id) if user is not None else None
        )
    except (BadRequest, Forbidden):
        await reply(update, text("channel.bot_not_admin", channel=name))
        return
    if bot_member.status not in ADMINS or (
        isinstance(bot_member, ChatMemberAdministrator) and not bot_member.can_post_messages
    ):
        await reply(update, text("channel.bot_not_admin", channel=name))
        return
    if user_member is None or user_member.status not in ADMINS:
        await reply(update, text("channel.user_not_admin", channel=name))
        return
    await context.services.store.chats.link_channel(channel.id, chat_id(update), CURRENT_LANG.get())
    await reply(update, text("channel.added", channel=name))


async def unsubscribe_channel(update: Update, context: Context, name: str) -> None:
    """Stop posting this chat's alerts to the channel."""
    try:
        channel = await context.bot.get_chat(name)
    except (BadRequest, Forbidden):
        await reply(update, text("channel.not_found", channel=name))
        return
    if not await context.services.store.chats.unlink_channel(channel.id, chat_id(update)):
        await reply(update, text("channel.not_linked", channel=name))
        return
    await reply(update, text("channel.removed", channel=name))
