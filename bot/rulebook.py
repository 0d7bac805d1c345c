"""The rule compiler the settings describe: the synonyms file and the rule limits."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from bot.core.rules import RuleCompiler, RuleLimits
from bot.core.synonyms import Synonyms
from config.settings import Settings

DEFAULT_SYNONYMS = Path(str(files("config") / "synonyms.txt"))


def load_synonyms(choice: str | Path) -> Synonyms:
    """'default' (the bundled file), 'none', or a file path."""
    if isinstance(choice, str) and choice == "none":
        return Synonyms.empty()
    if isinstance(choice, str) and choice == "default":
        return Synonyms.load(DEFAULT_SYNONYMS)
    return Synonyms.load(Path(choice))


def compiler_for(settings: Settings) -> RuleCompiler:
    """A compiler with the configured synonyms and limits."""
    limits = RuleLimits(max_chars=settings.max_rule_chars, max_terms=settings.max_rule_terms)
    return RuleCompiler(load_synonyms(settings.synonyms), limits)
