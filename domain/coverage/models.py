"""Coverage tables and schemas (to be filled in by the coverage work)."""
