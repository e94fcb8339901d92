#!/usr/bin/env bash
# `make run`: the sandboxes, the registry with the seed workflows, demo connections and variables, and Airflow
# standalone (api-server with the webhook receiver, scheduler, dag-processor, triggerer) on SQLite.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$PWD/.airflow}"
PORT="${PORT:-8080}"
SANDBOX_PORT="${SANDBOX_PORT:-8900}"
mkdir -p "$AIRFLOW_HOME"

# A Fernet key and an admin password, made once and kept in the (git-ignored) Airflow home.
[ -s "$AIRFLOW_HOME/fernet.key" ] || python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > "$AIRFLOW_HOME/fernet.key"
PASSWORDS="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
[ -s "$PASSWORDS" ] || python -c 'import json, secrets; print(json.dumps({"admin": secrets.token_urlsafe(12)}))' > "$PASSWORDS"
export AIRFLOW__CORE__FERNET_KEY="$(cat "$AIRFLOW_HOME/fernet.key")"
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$PORT/execution/"
export INTEGRATIONS_AIRFLOW_API_URL="http://127.0.0.1:$PORT"
export INTEGRATIONS_AIRFLOW_USERNAME=admin
INTEGRATIONS_AIRFLOW_PASSWORD="$(python -c "import json, sys; print(json.load(open(sys.argv[1]))['admin'])" "$PASSWORDS")"
export INTEGRATIONS_AIRFLOW_PASSWORD

integrations db migrate
integrations workflows apply include/workflows
airflow db migrate > "$AIRFLOW_HOME/db-migrate.log"
airflow connections import --overwrite include/connections/demo.json
sed "s#http://127.0.0.1:8900#http://127.0.0.1:$SANDBOX_PORT#g" include/variables/demo.json > "$AIRFLOW_HOME/demo-variables.json"
airflow variables import -a overwrite "$AIRFLOW_HOME/demo-variables.json"

integrations sandbox serve --port "$SANDBOX_PORT" > "$AIRFLOW_HOME/sandbox.log" 2>&1 &
SANDBOX_PID=$!
trap 'kill $SANDBOX_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$SANDBOX_PORT/shopify/_sandbox/state" > /dev/null && break; sleep 0.2; done
integrations sandbox subscribe --sandbox "http://127.0.0.1:$SANDBOX_PORT" --receiver "http://127.0.0.1:$PORT/integrations"

cat <<TEXT

  Airflow:    http://127.0.0.1:$PORT   user admin, password $INTEGRATIONS_AIRFLOW_PASSWORD
              (also in $PASSWORDS)
  Sandboxes:  http://127.0.0.1:$SANDBOX_PORT   (state: /shopify/_sandbox/state, /eshopbox/_sandbox/state)
  Webhooks:   http://127.0.0.1:$PORT/integrations/webhooks/<app>/<trigger>/<connection>

  Enable the wf__demo__* DAGs in the UI, then fire events, e.g.:
    .venv/bin/integrations sandbox emit shopify-order --sku ESB-TEE-RED-M --quantity 2

TEXT
airflow standalone
