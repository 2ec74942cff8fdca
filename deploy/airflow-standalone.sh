#!/usr/bin/env bash
# `make airflow`: the embedded default with Airflow — Airflow standalone (SQLite metadata, LocalExecutor)
# running the hub's DAGs from ./dags against the sandbox (`mpphub sandbox up`, in the background, with
# simulated citizens and officers), the ledger in .mpphub/airflow/ledger.db. The API server (UI and
# execution API) listens on 127.0.0.1 only.
#
# Ctrl-C (or SIGTERM, or the terminal closing) stops everything: the sandbox and `airflow standalone` each
# run in a session of their own (setsid), so every process they start (Airflow's components, its task
# processes, which move to process groups of their own, the sandbox's servers) is found by its session id,
# even once re-parented to PID 1. On INT/TERM/HUP/EXIT the script sends SIGINT to every process of those
# sessions (their own Ctrl-C path: the sandbox drops its scratch databases, standalone stops its
# components), waits up to MPPHUB_STOP_TIMEOUT seconds (default 20), then sends SIGTERM, and after 5 more
# seconds SIGKILL to what is left.
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
# the embedded default is a developer's machine: the API server (Airflow's default 0.0.0.0) only on loopback
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$PORT/execution/"
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=30
export MPPHUB_REGISTRY="$ROOT/registry"
export MPPHUB_LEDGER_URL="sqlite:///$STATE/ledger.db"
export MPPHUB_DAG_CACHE_DIR="$STATE"
export MPPHUB_SYNC_INTERVAL_MINUTES="${MPPHUB_SYNC_INTERVAL_MINUTES:-2}"

ENV_FILE="$STATE/sandbox.env"
rm -f "$ENV_FILE"
STOP_TIMEOUT="${MPPHUB_STOP_TIMEOUT:-20}"
SESSIONS=()  # session ids (= the pids of their leaders) of what this script started

# start_session CMD...: CMD in the background in a new session (hence its own process group, no controlling
# terminal: the terminal's Ctrl-C reaches this script only, which stops the session as a whole), with SIGINT
# back at its default (bash starts background jobs with SIGINT ignored; Python programs would then never see
# KeyboardInterrupt, their Ctrl-C path). Its pid, which is its session id, is appended to SESSIONS.
start_session() {
  setsid env --default-signal=INT "$@" &
  SESSIONS+=("$!")
}

# alive: the pids of the live (not zombie) processes of our sessions, one a line
alive() {
  [ "${#SESSIONS[@]}" -gt 0 ] || return 0
  ps -o pid=,stat= -s "$(IFS=,; echo "${SESSIONS[*]}")" 2>/dev/null | awk '$2 !~ /^Z/ {print $1}' || true
}

# signal_sessions SIG: send SIG to every live process of our sessions
signal_sessions() {
  local pids
  pids="$(alive)"
  # shellcheck disable=SC2086 # one pid a word
  [ -z "$pids" ] || kill "-$1" $pids 2>/dev/null || true
}

# gone_within SECONDS: true once no process of our sessions is alive, false if some still are after SECONDS
gone_within() {
  local deadline=$((SECONDS + $1))
  while [ -n "$(alive)" ]; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

stop_all() {
  local code=$?
  trap - INT TERM HUP EXIT
  # `make airflow | tee log`: Ctrl-C ends tee too, and writing to its pipe must not end this script
  trap '' PIPE
  if [ -n "$(alive)" ]; then
    echo "stopping Airflow and the sandbox ..." >&2 || true
    signal_sessions INT
    gone_within "$STOP_TIMEOUT" || { signal_sessions TERM; gone_within 5; } ||
      { signal_sessions KILL; gone_within 5; } || true
  fi
  wait 2>/dev/null || true  # reap our own children
  exit "$code"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP  # the terminal closed

# shellcheck disable=SC2086 # MPPHUB_SANDBOX_ARGS is a list of arguments
start_session "$BIN/mpphub" sandbox up --state "$STATE/sandbox" --citizens-rate 0.2 --officer-interval 20 \
  --env-file "$ENV_FILE" ${MPPHUB_SANDBOX_ARGS:-} >"$STATE/sandbox.log" 2>&1
SANDBOX_PID="${SESSIONS[-1]}"
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
echo "UI: http://127.0.0.1:$PORT  user admin, password in $STATE/simple_auth_manager_passwords.json.generated"
start_session "$BIN/airflow" standalone
AIRFLOW_PID="${SESSIONS[-1]}"
# until standalone ends (then the EXIT trap stops the sandbox) or Ctrl-C (the INT trap, then EXIT)
wait "$AIRFLOW_PID"
