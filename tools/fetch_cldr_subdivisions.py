"""Fetch CLDR's English and Arabic names of regions into tools/data/cldr_subdivisions.tsv.

    .venv/bin/python tools/fetch_cldr_subdivisions.py          # download and rewrite the file
    .venv/bin/python tools/fetch_cldr_subdivisions.py --check  # exit 1 if the file differs

The Unicode CLDR names first-level regions (provinces, governorates) in many languages: West
Java, جاوة الغربية; Tibet, التبت. ISO 3166-2 (pycountry) gives only their local names ("Jawa
Barat", "Xizang Zizhiqu"), which neither English nor Arabic news writes. CLDR is not on PyPI
with these files, so this tool takes them from the npm registry's `cldr` package, pinned by
version and checksum, and keeps only the two languages' names; tools/build_places.py reads the
result, so the gazetteer's build needs no network. The data is under the Unicode License v3
(tools/data/cldr_subdivisions.LICENSE, copied from the package).

Each line is `id <TAB> English <TAB> Arabic`, CLDR's own subdivision id (lower case, "idjb"),
either name possibly empty. CLDR's ids are stable and are not always today's ISO codes (its
ir04 is Isfahan, ISO's IR-04 West Azerbaijan): build_places.py joins them by name as well.
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import tarfile
import urllib.request
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datafile import write_or_check

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tools" / "data" / "cldr_subdivisions.tsv"
LICENSE = ROOT / "tools" / "data" / "cldr_subdivisions.LICENSE"
VERSION = "8.0.0"
URL = f"https://registry.npmjs.org/cldr/-/cldr-{VERSION}.tgz"
SHA1 = "a008b6ff53d63d7e26f1d7363d9f603ce2eeb9cc"  # the registry's `shasum` for this version
MEMBER = "package/3rdparty/cldr/common/subdivisions/{}.xml"
LICENSE_MEMBER = "package/3rdparty/cldr/LICENSE"
_ENTRY = re.compile(r'<subdivision type="([a-z0-9]+)"[^>]*>([^<]+)</subdivision>')


def _download() -> tarfile.TarFile:
    """The pinned package, its checksum verified."""
    with urllib.request.urlopen(URL, timeout=120) as response:
        data = response.read()
    digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    if digest != SHA1:
        raise SystemExit(f"{URL}: checksum {digest}, expected {SHA1}")
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def _names(archive: tarfile.TarFile, language: str) -> dict[str, str]:
    """Each subdivision id and its name in one language, as CLDR writes it."""
    member = archive.extractfile(MEMBER.format(language))
    if member is None:
        raise SystemExit(f"{MEMBER.format(language)} is not in the package")
    text = member.read().decode("utf-8")
    return {code: unescape(name).strip() for code, name in _ENTRY.findall(text)}


def build() -> str:
    """The file's text; the license file is rewritten alongside."""
    archive = _download()
    english, arabic = _names(archive, "en"), _names(archive, "ar")
    notice = archive.extractfile(LICENSE_MEMBER)
    if notice is not None and "--check" not in sys.argv:
        LICENSE.write_bytes(notice.read())
    lines = [
        f"# CLDR subdivision names (npm cldr {VERSION}, Unicode License v3: see "
        "cldr_subdivisions.LICENSE). Built by tools/fetch_cldr_subdivisions.py; do not edit.",
        "# id\tEnglish\tArabic",
    ]
    for code in sorted(english.keys() | arabic.keys()):
        lines.append(f"{code}\t{english.get(code, '')}\t{arabic.get(code, '')}")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write the file, or with --check compare it."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    return write_or_check(OUT, build, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
