"""The local demo: bundled sample feeds on a local HTTP server, alerts printed to the console."""
