"""Delivery: rendering alerts as Telegram HTML and sending them from the delivery stream."""
