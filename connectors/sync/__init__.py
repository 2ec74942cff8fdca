"""The sync engine: the flows of DESIGN.md (catalogue, outbound delivery, inbound status, walk-ins,
reconciliation) over the ledger, the national client and the package-driven local connectors."""
