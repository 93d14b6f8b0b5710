"""Database plumbing: engine and session factory, spatial helpers, the metadata registry."""
