"""Plain-Python rules of the plays service."""
