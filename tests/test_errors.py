"""The error tree: every exception class of the project derives from AlertbotError, as drawn."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from bot import errors
from bot.errors import AlertbotError, FeedError, FeedErrorKind, FeedGone, UnsafeURL

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "config")
# One line of the docstring's tree: "  * Name: when it is raised", two spaces per level.
TREE_LINE = re.compile(r"^(?P<indent>(?:  )*)\* (?P<name>\w+): \S")


def modules() -> list[str]:
    """Every module of the project's packages (__main__ runs the program: left out)."""
    paths = sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))
    names = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in paths]
    return [n.removesuffix(".__init__") for n in names if not n.endswith("__main__")]


def defined_exceptions() -> dict[str, type[BaseException]]:
    """Each exception class defined in the project's modules, by name."""
    found: dict[str, type[BaseException]] = {}
    for name in modules():
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if (
                inspect.isclass(cls)
                and issubclass(cls, BaseException)
                and cls.__module__ == module.__name__
            ):
                assert cls.__name__ not in found, f"two exceptions named {cls.__name__}"
                found[cls.__name__] = cls
    return found


def drawn_tree() -> dict[str, str | None]:
    """Each class the errors.py docstring draws, with the class drawn as its parent."""
    parents: dict[str, str | None] = {}
    path: list[str] = []  # the names on the way down to the current line
    for line in (errors.__doc__ or "").splitlines():
        drawn = TREE_LINE.match(line)
        if drawn is None:
            continue
        level = len(drawn["indent"]) // 2
        assert level <= len(path), f"{drawn['name']} is indented past its parent"
        del path[level:]
        parents[drawn["name"]] = path[-1] if path else None
        path.append(drawn["name"])
    return parents


def test_the_walk_finds_the_errors() -> None:
    """The walk over the packages finds the errors defined in them, the Telegram outcomes too."""
    assert {"AlertbotError", "FeedError", "RuleTooDeep", "ChatGone", "InputError"} <= set(
        defined_exceptions()
    )


def test_every_error_derives_from_alertbot_error() -> None:
    """Every exception class defined in bot/, handlers/ and config/ is an AlertbotError."""
    outside = [
        name
        for name, cls in defined_exceptions().items()
        if not issubclass(cls, AlertbotError) and cls is not AlertbotError
    ]
    assert outside == []


def test_every_error_is_defined_in_errors_py() -> None:
    """Each error has one definition, in bot/errors.py (other modules may only re-export it)."""
    elsewhere = [
        f"{cls.__module__}.{name}"
        for name, cls in defined_exceptions().items()
        if cls.__module__ != "bot.errors"
    ]
    assert elsewhere == []


def test_the_docstring_draws_the_tree() -> None:
    """errors.py's docstring draws every error once, under the class it derives from."""
    real = {
        name: next((b.__name__ for b in cls.__bases__ if issubclass(b, AlertbotError)), None)
        for name, cls in defined_exceptions().items()
    }
    assert drawn_tree() == real


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (FeedError("boom"), "other"),
        (FeedError("slow", kind="timeout"), "timeout"),
        (FeedGone("410"), "gone"),
        (UnsafeURL("private"), "refused"),
        (FeedGone("410", kind="http"), "http"),
    ],
)
def test_feed_error_kind(error: FeedError, kind: FeedErrorKind) -> None:
    """A FeedError's kind is its class's unless the raise site names one."""
    assert error.kind == kind
