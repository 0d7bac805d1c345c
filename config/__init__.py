"""Configuration: settings, the default feed catalog, bundled demo feeds and message texts."""
