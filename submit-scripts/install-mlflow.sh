#!/usr/bin/env bash
# Installs MLflow into a Python 3.11 venv: the tracking server that MlflowTrackingTest starts (and that
# submit-scripts/mlflow-server.sh runs), at the versions pinned in submit-scripts/mlflow-requirements.txt.
#
#   submit-scripts/install-mlflow.sh [VENV_DIR]      (default: $MLFLOW_VENV, else ~/.cache/cnn-pipeline-mlflow/venv)
#
# Idempotent: a venv already installed from the same requirements file (its SHA-256 is stamped in the venv) is left as
# it is; otherwise the venv is created or updated to the pins. PYTHON names the interpreter (default: python3.11).
# Needs PyPI; about 850 MB on disk. The pipeline itself does not need Python: it talks to the server over HTTP.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requirements="$here/mlflow-requirements.txt"
venv="${1:-${MLFLOW_VENV:-$HOME/.cache/cnn-pipeline-mlflow/venv}}"
python="${PYTHON:-python3.11}"
stamp="$venv/.cnn-pipeline-requirements.sha256"

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/mlflow" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "install-mlflow: $venv is up to date ($(grep -E '^mlflow==' "$requirements"))"
  exit 0
fi

if ! command -v "$python" >/dev/null 2>&1; then
  echo "install-mlflow: error: $python not found (set PYTHON to a Python 3.11 interpreter)" >&2
  exit 2
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "install-mlflow: error: $python is Python $("$python" -c 'import platform; print(platform.python_version())'), not 3.11" >&2
  exit 2
fi
if [[ -x "$venv/bin/python" ]] && ! "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "install-mlflow: error: $venv is a venv of another Python; remove it or choose another directory" >&2
  exit 2
fi

rm -f "$stamp"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$requirements"
"$venv/bin/mlflow" --version >/dev/null
echo "$want" >"$stamp"
echo "install-mlflow: installed $(grep -E '^mlflow==' "$requirements") into $venv"
