"""Health of regions and services, computed from the ledger with SQL aggregates, and SLA in working days."""
