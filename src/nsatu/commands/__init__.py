"""Command groups of the `nsatu` command, one module per area."""
