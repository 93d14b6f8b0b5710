"""Equipment tables and schemas (to be filled in by the equipment work)."""
