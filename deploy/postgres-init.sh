#!/bin/bash
# Creates the hub's ledger database beside Airflow's metadata database (run once by the postgres image).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE USER mpphub WITH PASSWORD '${LEDGER_PASSWORD}';
CREATE DATABASE mpphub OWNER mpphub;
SQL
