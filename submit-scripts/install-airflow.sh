#!/usr/bin/env bash
# Installs Apache Airflow 3 with the Apache Spark provider into a Python 3.11 venv, for running
# submit-scripts/cnn_pipeline_dag.py (and for AirflowDagIT, which finds the venv through AIRFLOW_VENV).
#
#   submit-scripts/install-airflow.sh VENV_DIR
#
# Every package is pinned in submit-scripts/airflow-requirements.txt (apache-airflow 3.3.2,
# apache-airflow-providers-apache-spark 6.3.4 and all they need) and installed from PyPI without dependency resolution,
# then checked with `pip check` and `airflow version`. A second run with the same requirements returns at once; a
# changed requirements file (or a venv of another Python) installs again.
# Environment: PYTHON, the Python 3.11 interpreter to use (default python3.11).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if (($# != 1)) || [[ -z "$1" ]]; then
  echo "usage: $0 VENV_DIR" >&2
  exit 2
fi
venv="$1"
requirements="$here/airflow-requirements.txt"
pip_version=26.3
python="${PYTHON:-python3.11}"
marker="$venv/.cnn-pipeline-airflow"

if ! version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)"; then
  echo "error: Cannot use PYTHON: $python does not run (Airflow is installed with Python 3.11)" >&2
  exit 2
fi
if [[ "$version" != 3.11 ]]; then
  echo "error: Cannot use PYTHON: Python 3.11 is needed (got $python, Python $version)" >&2
  exit 2
fi
# What this install is: the requirements' content, the pip version and the interpreter.
want="$( (cat "$requirements"; echo "pip==$pip_version"; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
if [[ -f "$marker" && "$(cat "$marker")" == "$want" && -x "$venv/bin/airflow" ]]; then
  echo "install-airflow: $venv is up to date (apache-airflow $("$venv/bin/python" -c \
    'from importlib.metadata import version; print(version("apache-airflow"))'))"
  exit 0
fi

rm -f "$marker"
if [[ -x "$venv/bin/python" ]] && \
   [[ "$("$venv/bin/python" -c 'import sys; print(sys.version)')" != "$("$python" -c 'import sys; print(sys.version)')" ]]; then
  rm -rf "$venv"   # a venv of another interpreter: start again
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "pip==$pip_version"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$requirements"
"$venv/bin/python" -m pip check
# `airflow version` writes an airflow.cfg into AIRFLOW_HOME: a throwaway one.
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
echo "install-airflow: $venv: apache-airflow $(AIRFLOW_HOME="$home" "$venv/bin/airflow" version 2>/dev/null | tail -n 1)," \
  "$("$venv/bin/python" -c 'from importlib.metadata import version; print("apache-airflow-providers-apache-spark", version("apache-airflow-providers-apache-spark"))')"
echo "$want" > "$marker"
