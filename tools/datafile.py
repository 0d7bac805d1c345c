"""What every data-building tool does last: write its file, or with --check compare it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def write_or_check(out: Path, build: Callable[[], str], description: str) -> int:
    """Parse --check; write what `build` gives to `out`, or exit 1 if `out` differs from it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = build()
    if args.check:
        same = out.is_file() and out.read_text(encoding="utf-8") == text
        print(f"{out.name} is current" if same else f"{out.name} differs: run the build")
        return 0 if same else 1
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({text.count(chr(10))} lines, {len(text.encode())} bytes)")
    return 0


def zipf_text(tool: str, best: dict[str, float]) -> str:
    """A word-frequency file's text: its header, then `form <TAB> zipf` (one decimal), sorted."""
    lines = [f"# Built by tools/{tool} from wordfreq (CC BY-SA 4.0); do not edit."]
    lines += [f"{form}\t{zipf:.1f}" for form, zipf in sorted(best.items())]
    return "\n".join(lines) + "\n"
