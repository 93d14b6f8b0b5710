"""Audit trail of admin actions that are not station revisions."""
