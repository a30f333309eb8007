"""Read-only aggregate views: the leadership dashboard, fleet diversity, list pages with exports, the audit ledger."""
