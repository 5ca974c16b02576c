"""Relationship-health rules as plain Python: no Flask, no SQLAlchemy."""
