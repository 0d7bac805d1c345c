"""alertbot tests: unit, integration (real Redis, HTTP, Bot API emulator) and end-to-end."""
