"""Rules of the accounts service as plain Python: no Flask, no SQLAlchemy."""
