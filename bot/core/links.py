"""Query parameters that only track the reader: links are shown and compared without them."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

# Click and campaign ids of analytics and ad networks: never part of what a link points to.
TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|yclid|igshid|_ga)$", re.I
)


def kept_params(query: str, also_drop: re.Pattern[str] | None = None) -> list[tuple[str, str]]:
    """The parameters of a query string that are not tracking ones (nor `also_drop`'s)."""
    return [
        (key, value)
        for key, value in parse_qsl(query, keep_blank_values=True)
        if not TRACKING.match(key) and not (also_drop and also_drop.match(key))
    ]
