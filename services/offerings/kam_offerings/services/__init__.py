"""Use cases of the offerings service."""
