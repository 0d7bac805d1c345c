"""Feeds: the catalog file, fetching over HTTP and parsing entries into items."""
