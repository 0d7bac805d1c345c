"""The `alertbot` command: run the bot, or the local demo when no token is set."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.errors import AlertbotError, CatalogError, ConfigError, InputError
from bot.logs import configure_logging
from config.settings import Settings, load_settings

if TYPE_CHECKING:  # the offline tools' imports wait until one runs
    from bot.core.synonyms import Synonyms


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="alertbot",
        description="Breaking-news alerts from RSS/Atom feeds to Telegram. Without a command: "
        "`run` when ALERTBOT_TELEGRAM_TOKEN is set, else `demo`.",
    )
    parser.add_argument("--version", action="version", version=f"alertbot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    running = commands.add_parser(
        "run", help="run the bot: poll feeds, match rules, send alerts, answer commands"
    )
    running.add_argument(
        "--role",
        choices=("all", "poller", "sender", "bot"),
        default="all",
        help="run one role only (any number of pollers and senders may share one Redis)",
    )
    running.add_argument(
        "--webhook",
        metavar="URL",
        help="receive updates at this public https URL instead of polling Telegram "
        "(the bot listens on ALERTBOT_WEBHOOK_LISTEN:ALERTBOT_WEBHOOK_PORT)",
    )
    commands.add_parser(
        "demo", help="local demo: sample feeds, a throwaway embedded Redis, alerts printed"
    )
    feeds = commands.add_parser(
        "feeds",
        help="the feed catalog as OPML: import FILE.opml, export",
        description="Import feeds from OPML into the catalog, or export the catalog as OPML "
        "2.0. Works beside a running bot (same ALERTBOT_REDIS_URL or ALERTBOT_DATA_DIR).",
    )
    feeds_commands = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    importing = feeds_commands.add_parser("import", help="add the feeds of an OPML file")
    importing.add_argument("file", type=Path)
    exporting = feeds_commands.add_parser("export", help="write the catalog as OPML 2.0")
    exporting.add_argument("-o", "--output", type=Path, help="a file (default: standard output)")
    match = commands.add_parser(
        "match",
        help="test rules offline: which rules (by line) match which items",
        description="Print, for each item of ITEMS (JSON lines with id, title, summary and an "
        'optional source), one line {"id": ..., "rules": [matching rule line numbers]}.',
    )
    match.add_argument("--rules", type=Path, required=True, help="one rule per line")
    match.add_argument("--items", type=Path, required=True, help="JSON lines")
    choice = match.add_mutually_exclusive_group()
    choice.add_argument("--synonyms", type=Path, help="a synonyms file instead of the default")
    choice.add_argument("--no-synonyms", action="store_true", help="no synonyms at all")
    stories = commands.add_parser(
        "stories",
        help="group items into stories offline, as the poller would",
        description="Feed the items of ITEMS (JSON lines with id, title, summary, link, "
        "published in ISO 8601, lang and source) oldest first through the story grouping, on "
        'an embedded Redis of its own, and print one line per item: {"id": ..., "story": ...}.',
    )
    stories.add_argument("--items", type=Path, required=True, help="JSON lines")
    choice = stories.add_mutually_exclusive_group()
    choice.add_argument("--synonyms", type=Path, help="a synonyms file instead of the default")
    choice.add_argument("--no-synonyms", action="store_true", help="no synonyms at all")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for bad settings, 1 for other failures)."""
    args = build_parser().parse_args(argv)
    if args.command == "match":
        return _match(args)
    if args.command == "stories":
        return _stories(args)
    try:
        overrides = {"webhook_url": args.webhook} if getattr(args, "webhook", None) else {}
        settings = load_settings(**overrides)
        token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
        hook = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        command = args.command or ("run" if token else "demo")
        quiet = command in ("demo", "feeds")  # tools print their own output
        configure_logging(
            "WARNING" if quiet else settings.log_level,
            [token, hook],
            json_lines=settings.log_format == "json",
        )
        if command == "run":
            from bot.app import run

            asyncio.run(run(settings, getattr(args, "role", "all")))
        elif command == "feeds":
            _feeds(args, settings)
        else:
            from bot.demo.run import run_demo

            asyncio.run(run_demo(settings))
    except ConfigError as exc:
        print(f"alertbot: {exc}", file=sys.stderr)
        return 2
    except AlertbotError as exc:
        print(f"alertbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _feeds(args: argparse.Namespace, settings: Settings) -> None:
    """`alertbot feeds import FILE` and `alertbot feeds export [-o FILE]`."""
    from bot.cli.catalog import export_opml, import_opml, read_file

    if args.feeds_command == "import":
        for line in asyncio.run(import_opml(settings, read_file(args.file), args.file)):
            print(line)
        return
    if args.output is None:
        asyncio.run(export_opml(settings))
        return
    try:
        with args.output.open("wb") as out:
            count = asyncio.run(export_opml(settings, out))
    except OSError as exc:
        raise CatalogError(f"cannot write {args.output}: {exc.strerror}") from None
    print(f"exported {count} feed(s) to {args.output}", file=sys.stderr)


def _match(args: argparse.Namespace) -> int:
    """`alertbot match`: exit 2 with one line on stderr for any unusable input."""
    from bot.cli.match import run_match

    return _offline("match", args, lambda syn: run_match(args.rules, args.items, syn), failure=2)


def _stories(args: argparse.Namespace) -> int:
    """`alertbot stories`: exit 2 for unusable input, 1 when its Redis cannot be started."""
    from bot.cli.stories import run_stories

    return _offline("stories", args, lambda syn: asyncio.run(run_stories(args.items, syn)))


def _offline(
    name: str, args: argparse.Namespace, run: Callable[[Synonyms], None], *, failure: int = 1
) -> int:
    """Run an offline tool with the chosen synonyms; one line on stderr for what went wrong.

    Bad input (the tool's files, or the synonyms file) exits 2; other failures `failure`.
    """
    from bot.app import load_synonyms

    try:
        run(load_synonyms("none" if args.no_synonyms else args.synonyms or "default"))
    except (InputError, ConfigError) as exc:
        print(f"alertbot {name}: {exc}", file=sys.stderr)
        return 2
    except AlertbotError as exc:
        print(f"alertbot {name}: {exc}", file=sys.stderr)
        return failure
    except BrokenPipeError:  # the reader (e.g. `head`) has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
