#!/usr/bin/env bash
# Runs an MLflow tracking server in the foreground, for tests and for trying tracking.mlflow-uri on one machine:
# a SQLite backend store (DATA_DIR/mlflow.db) and proxied artifacts stored under DATA_DIR/artifacts, so that clients
# upload artifacts over HTTP (the run's artifact_uri is mlflow-artifacts:/...).
#
#   submit-scripts/mlflow-server.sh DATA_DIR [PORT]
#
# PORT defaults to a free one. The first line on stderr is "mlflow-server: http://HOST:PORT"; the server is ready when
# GET /health answers 200. It replaces this shell (exec), so killing the printed process id and its children stops it.
# Environment: MLFLOW_VENV, the venv of submit-scripts/install-mlflow.sh (default ~/.cache/cnn-pipeline-mlflow/venv);
# MLFLOW_HOST, the address to bind (default 127.0.0.1); MLFLOW_WORKERS, server worker processes (default 1).
set -euo pipefail
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 DATA_DIR [PORT]" >&2
  exit 2
fi
venv="${MLFLOW_VENV:-$HOME/.cache/cnn-pipeline-mlflow/venv}"
if [[ ! -x "$venv/bin/mlflow" ]]; then
  echo "mlflow-server: error: no MLflow in $venv (install it: submit-scripts/install-mlflow.sh $venv)" >&2
  exit 2
fi
mkdir -p "$1/artifacts"
data="$(cd "$1" && pwd)"
host="${MLFLOW_HOST:-127.0.0.1}"
port="${2:-$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
echo "mlflow-server: http://$host:$port (store $data/mlflow.db, artifacts $data/artifacts, pid $$)" >&2
# The job runner serves MLflow's GenAI features (evaluation jobs); tracking does not use it.
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"
exec "$venv/bin/mlflow" server --backend-store-uri "sqlite:///$data/mlflow.db" \
  --serve-artifacts --artifacts-destination "$data/artifacts" \
  --host "$host" --port "$port" --workers "${MLFLOW_WORKERS:-1}"
