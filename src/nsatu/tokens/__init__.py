"""API tokens for machine clients: hashed at rest, shown once, revocable."""
