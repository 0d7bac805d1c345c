"""Telegram command and button handlers, one module per feature.

handlers/table.py lists them once and makes from that list what the app registers (handlers,
menus) and what users read (/help, README.md's command table); handlers/common.py holds what they
share: the typed context with the services, the one access check, reply helpers.
"""
