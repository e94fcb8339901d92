#!/usr/bin/env bash
# `make run`: an embedded PostgreSQL (or the one AIRFLOW__DATABASE__SQL_ALCHEMY_CONN names), the sandboxes, the
# registry with the seed workflows, demo connections and variables, a health watchdog, and Airflow standalone
# (api-server with the webhook receiver, scheduler, dag-processor, triggerer). Ctrl-C stops Airflow first, then the
# rest; PostgreSQL's data stays in $AIRFLOW_HOME/postgres for the next run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$PWD/.airflow}"
PORT="${PORT:-8080}"
SANDBOX_PORT="${SANDBOX_PORT:-8900}"
mkdir -p "$AIRFLOW_HOME"

# Background helpers die with this script; PostgreSQL last, once Airflow (stopped by the same Ctrl-C) is gone.
HELPERS=()
PG_PID=""
stop_helpers() {
  [ "${#HELPERS[@]}" -eq 0 ] || kill "${HELPERS[@]}" 2>/dev/null || true
  if [ -n "$PG_PID" ]; then kill "$PG_PID" 2>/dev/null || true; wait "$PG_PID" 2>/dev/null || true; fi
}
trap stop_helpers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# The databases: `export` lines written to database.env once they are ready (also for a second terminal:
# `. .airflow/database.env`). The server leaves this script's process group so a Ctrl-C does not reach it first.
DB_ENV="$AIRFLOW_HOME/database.env"
if [ -z "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-}" ]; then
  DATABASE="embedded PostgreSQL 18, data in $AIRFLOW_HOME/postgres (log: $AIRFLOW_HOME/postgres.log)"
else
  DATABASE="the one AIRFLOW__DATABASE__SQL_ALCHEMY_CONN names (no embedded server)"
fi
rm -f "$DB_ENV"
python -m connectors.devserver postgres "$AIRFLOW_HOME/postgres" --env-file "$DB_ENV" --watch-pid $$ \
  > "$AIRFLOW_HOME/postgres.log" 2>&1 &
PG_PID=$!
until [ -s "$DB_ENV" ]; do
  kill -0 "$PG_PID" 2>/dev/null || { cat "$AIRFLOW_HOME/postgres.log" >&2; echo "!! the database did not start" >&2; exit 1; }
  sleep 0.1
done
# shellcheck source=/dev/null
. "$DB_ENV"

# A Fernet key and an admin password, made once and kept in the (git-ignored) Airflow home.
[ -s "$AIRFLOW_HOME/fernet.key" ] || python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > "$AIRFLOW_HOME/fernet.key"
PASSWORDS="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
[ -s "$PASSWORDS" ] || python -c 'import json, secrets; print(json.dumps({"admin": secrets.token_urlsafe(12)}))' > "$PASSWORDS"
export AIRFLOW__CORE__FERNET_KEY="$(cat "$AIRFLOW_HOME/fernet.key")"
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"  # this machine only, unless asked
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$PORT/execution/"
export AIRFLOW__CORE__TEST_CONNECTION="${AIRFLOW__CORE__TEST_CONNECTION:-Enabled}"  # the Connection form's Test button (auth.test)
export INTEGRATIONS_AIRFLOW_API_URL="http://127.0.0.1:$PORT"
export INTEGRATIONS_AIRFLOW_USERNAME=admin
INTEGRATIONS_AIRFLOW_PASSWORD="$(python -c "import json, sys; print(json.load(open(sys.argv[1]))['admin'])" "$PASSWORDS")"
export INTEGRATIONS_AIRFLOW_PASSWORD
# Where the studio's App builder saves new app versions (the first folder), read with the package's own apps.
export INTEGRATIONS_APPS_PATH="${INTEGRATIONS_APPS_PATH:-$AIRFLOW_HOME/apps}"
mkdir -p "${INTEGRATIONS_APPS_PATH%%:*}"

integrations db migrate
airflow db migrate > "$AIRFLOW_HOME/db-migrate.log"
# `airflow …` run by hand with only AIRFLOW_HOME set (backfills, unpause) must reach the same database.
python -m connectors.devserver pin-airflow-cfg "$AIRFLOW_HOME/airflow.cfg"
airflow connections import --overwrite include/connections/demo.json
integrations workflows apply include/workflows  # after the connections: apply checks each step's connection
sed "s#http://127.0.0.1:8900#http://127.0.0.1:$SANDBOX_PORT#g" include/variables/demo.json > "$AIRFLOW_HOME/demo-variables.json"
airflow variables import -a overwrite "$AIRFLOW_HOME/demo-variables.json"

integrations sandbox serve --port "$SANDBOX_PORT" > "$AIRFLOW_HOME/sandbox.log" 2>&1 &
HELPERS+=($!)
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$SANDBOX_PORT/shopify/_sandbox/state" > /dev/null && break; sleep 0.2; done
integrations sandbox subscribe --sandbox "http://127.0.0.1:$SANDBOX_PORT" --receiver "http://127.0.0.1:$PORT/integrations"

# DEMO_EVENTS=1 (`make run`): a first Shopify order once the receiver answers, so the studio's Events page has one
# (stored at once; its workflow drains it when its DAG is parsed)
if [ "${DEMO_EVENTS:-0}" = 1 ]; then
  (
    for _ in $(seq 600); do curl -fs "http://127.0.0.1:$PORT/api/v2/monitor/health" > /dev/null && break; sleep 1; done
    integrations sandbox emit shopify-order --sandbox "http://127.0.0.1:$SANDBOX_PORT" --sku ESB-TEE-RED-M --quantity 2 > "$AIRFLOW_HOME/demo-events.log" 2>&1
  ) &
  HELPERS+=($!)
fi

# Prints "!! scheduler is unhealthy since …" when a component dies, "ok … is healthy again" when it is back.
python -m connectors.devserver watchdog "http://127.0.0.1:$PORT" --every "${WATCHDOG_SECONDS:-5}" &
HELPERS+=($!)

cat <<TEXT

  Airflow:    http://127.0.0.1:$PORT   user admin, password $INTEGRATIONS_AIRFLOW_PASSWORD
              (also in $PASSWORDS)
  Studio:     http://127.0.0.1:$PORT/plugin/integrations   ("Integrations" in Airflow's navigation)
  Database:   $DATABASE
              (URLs in $DB_ENV: \`. $DB_ENV\` before using integrations/airflow in another terminal)
  Sandboxes:  http://127.0.0.1:$SANDBOX_PORT   (state: /shopify/_sandbox/state, /eshopbox/_sandbox/state)
  Webhooks:   http://127.0.0.1:$PORT/integrations/webhooks/<app>/<trigger>/<connection>

  Enable the wf.demo.* DAGs in the UI (\`make run\` starts them enabled), then fire events, e.g.:
    .venv/bin/integrations sandbox emit shopify-order --sku ESB-TEE-RED-M --quantity 2

TEXT
airflow standalone
