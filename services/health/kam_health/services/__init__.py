"""Use cases of the health service: keyword-only functions, one transaction each."""
