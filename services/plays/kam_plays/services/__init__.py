"""Use cases of the plays service."""
