"""Read-only aggregate views: leadership dashboard, fleet diversity, lists with exports, audit ledger."""
