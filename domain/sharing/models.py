"""Sharing tables and schemas (to be filled in by the sharing work)."""
