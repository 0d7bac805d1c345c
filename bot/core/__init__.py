"""Pure domain logic: models, text analysis, rules, matching and summaries (no I/O)."""
