"""Test support code: fakes and emulators that stand in for external services."""
