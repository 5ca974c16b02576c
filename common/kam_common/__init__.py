"""Infrastructure shared by every KAM app: errors, request ids, logging, storage, HTTP.

Nothing in this package knows about accounts, offerings or health; domain code lives in the
apps themselves.
"""
