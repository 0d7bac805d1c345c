"""Talking to the bot through the emulator, as a Telegram user would."""

from __future__ import annotations

from testkit.botapi import BotApiEmulator, SentMessage


async def ask(emu: BotApiEmulator, chat_id: int, text: str, **user: object) -> SentMessage:
    """Send `text` as the user of `chat_id` and return the bot's next message there."""
    before = len(emu.sent(chat_id))
    emu.send_message(chat_id, text, **user)  # type: ignore[arg-type]
    return (await emu.wait_sent(chat_id, before + 1))[before]
