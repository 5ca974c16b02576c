"""Use cases of the accounts service: keyword-only functions, one transaction each."""
