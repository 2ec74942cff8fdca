#!/usr/bin/env bash
# `make airflow`: the embedded default with Airflow — Airflow standalone (SQLite metadata, LocalExecutor)
# running the hub's DAGs from ./dags against the sandbox (`mpphub sandbox up`, in the background, with
# simulated citizens and officers), the ledger in .mpphub/airflow/ledger.db. Ctrl-C stops everything.
#
# Overridable: AIRFLOW_PORT (UI and execution API, default 8080), MPPHUB_SANDBOX_ARGS (extra arguments of
# `mpphub sandbox up`, e.g. "--national-port 0"), MPPHUB_REGION_POOL_SLOTS (default 2).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.venv/bin"
export PATH="$BIN:$PATH"  # airflow standalone starts its components as `airflow ...` from PATH
STATE="$ROOT/.mpphub/airflow"
PORT="${AIRFLOW_PORT:-8080}"
mkdir -p "$STATE"

export AIRFLOW_HOME="$STATE"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$STATE/airflow.db"
# the hub's DAGs run as soon as they are parsed (they sync the sandbox, nothing else)
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://localhost:$PORT/execution/"
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=30
export MPPHUB_REGISTRY="$ROOT/registry"
export MPPHUB_LEDGER_URL="sqlite:///$STATE/ledger.db"
export MPPHUB_DAG_CACHE_DIR="$STATE"
export MPPHUB_SYNC_INTERVAL_MINUTES="${MPPHUB_SYNC_INTERVAL_MINUTES:-2}"

ENV_FILE="$STATE/sandbox.env"
rm -f "$ENV_FILE"
# bash starts background jobs with SIGINT ignored, and the sandbox cleans up (drops its scratch databases)
# on SIGINT only: restore Python's handler before running `mpphub sandbox up`
# shellcheck disable=SC2086 # MPPHUB_SANDBOX_ARGS is a list of arguments
"$BIN/python" -c 'import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); from hub.cli import main; sys.exit(main())' \
  sandbox up --state "$STATE/sandbox" --citizens-rate 0.2 --officer-interval 20 \
  --env-file "$ENV_FILE" ${MPPHUB_SANDBOX_ARGS:-} >"$STATE/sandbox.log" 2>&1 &
SANDBOX_PID=$!
trap 'kill -INT "$SANDBOX_PID" 2>/dev/null; wait "$SANDBOX_PID" 2>/dev/null || true' EXIT
for _ in $(seq 120); do
  [ -s "$ENV_FILE" ] && break
  kill -0 "$SANDBOX_PID" 2>/dev/null || { cat "$STATE/sandbox.log"; echo "the sandbox did not start" >&2; exit 1; }
  sleep 0.5
done
[ -s "$ENV_FILE" ] || { cat "$STATE/sandbox.log"; echo "the sandbox did not start in 60 s" >&2; exit 1; }
# shellcheck disable=SC1090
source "$ENV_FILE"
echo "sandbox up (log: $STATE/sandbox.log)"

"$BIN/airflow" db migrate >"$STATE/db-migrate.log" 2>&1 || { cat "$STATE/db-migrate.log"; exit 1; }
PYTHONPATH="$ROOT/dags" "$BIN/python" -m mpphub_airflow.pools --slots "${MPPHUB_REGION_POOL_SLOTS:-2}" \
  --out "$STATE/pools.json" --apply >/dev/null
echo "region pools created ($STATE/pools.json)"
echo "UI: http://localhost:$PORT  user admin, password in $STATE/simple_auth_manager_passwords.json.generated"
# standalone in the background, watched: Ctrl-C stops its components, but standalone itself can linger
# once they are gone; it is then ended, and the EXIT trap stops the sandbox
"$BIN/airflow" standalone &
AIRFLOW_PID=$!
seen=0
while kill -0 "$AIRFLOW_PID" 2>/dev/null; do
  sleep 2
  if ps -o stat= --ppid "$AIRFLOW_PID" | grep -qv '^Z'; then
    seen=1
  elif [ "$seen" = 1 ]; then
    kill -TERM "$AIRFLOW_PID" 2>/dev/null || true
  fi
done
