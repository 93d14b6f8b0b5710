"""Maintenance tables and schemas (to be filled in by the maintenance work)."""
