"""The I/O side of mpp-hub: connector kinds, the sync engine and the ledger. Never imports Airflow."""
