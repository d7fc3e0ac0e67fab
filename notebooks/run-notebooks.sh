#!/usr/bin/env bash
# Executes every notebook in notebooks/ headless (jupyter nbconvert --execute) with a Java kernel, failing on the
# first cell error. Executed copies go to notebooks/executed/ (outputs inline: pictures, tables).
# Installs into $CNN_PIPELINE_NOTEBOOK_HOME (default ~/.cache/cnn-pipeline-notebooks): a Python venv with nbconvert,
# nbclient and the JJava kernel (PyPI: jjava), and a kernelspec "cnn-pipeline-java" whose JVM has the project's jars
# on its own classpath (Spark's code generation and ND4J's backend lookup use the JVM's class loaders, so jars added
# at run time with %jars/%maven are not enough) and the --add-opens flags Spark needs on Java 17.
#   bash notebooks/run-notebooks.sh                 # all notebooks
#   bash notebooks/run-notebooks.sh '03-*.ipynb'    # some
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
home="${CNN_PIPELINE_NOTEBOOK_HOME:-$HOME/.cache/cnn-pipeline-notebooks}"
venv="$home/venv"
target="$root/pipeline/target"

if [[ ! -x "$venv/bin/jupyter-nbconvert" || ! -d "$venv/share/jupyter/kernels/java" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check nbconvert==7.17.2 nbclient==0.11.0 ipykernel jjava==1.0a8
fi
jar="$(ls "$target"/cnn-pipeline-*[0-9T].jar 2>/dev/null | head -n 1 || true)"
if [[ -z "$jar" || ! -f "$target/classpath.txt" ]]; then
  (cd "$root" && ./mvnw -q -B -DskipTests install)
  jar="$(ls "$target"/cnn-pipeline-*[0-9T].jar | head -n 1)"
fi

kernels="$home/jupyter/kernels/cnn-pipeline-java"
mkdir -p "$kernels"
jjava="$venv/share/jupyter/kernels/java/jjava.jar"
classpath="$jar:$(cat "$target/classpath.txt")"
python3 - "$kernels/kernel.json" "$jjava" "$classpath" "$target/jvm.options" <<'PY'
import json, sys
out, jjava, cp, opts = sys.argv[1:]
jvm = open(opts).read().split()
json.dump({
    "argv": ["java", "-Xmx6g", "-Djava.awt.headless=true", "--add-opens=jdk.jshell/jdk.jshell=ALL-UNNAMED", *jvm, "-cp", jjava + ":" + cp,
             "org.dflib.jjava.distro.JJava", "{connection_file}"],
    "display_name": "Java (cnn-pipeline)", "language": "java", "interrupt_mode": "message",
    # JShell compiles snippets against its own class path: the same jars.
    "env": {"JJAVA_CLASSPATH": cp, "OMP_NUM_THREADS": "1", "SPARK_LOCAL_IP": "127.0.0.1"},
}, open(out, "w"), indent=1)
PY

export JUPYTER_PATH="$home/jupyter"
mkdir -p "$here/executed"
cd "$here"
# Names and patterns are of this folder's notebooks (a pattern quoted from elsewhere, e.g. '03-*', expands here).
notebooks=()
for pattern in "$@"; do
  # shellcheck disable=SC2206
  notebooks+=(${pattern##*/})
done
((${#notebooks[@]})) || notebooks=([0-9]*.ipynb)
for nb in "${notebooks[@]}"; do
  start=$SECONDS
  # nbconvert writes no copy when a cell fails: remove the last run's, so that it cannot pass for this one.
  rm -f "executed/$nb"
  rc=0
  "$venv/bin/jupyter-nbconvert" --to notebook --execute --ExecutePreprocessor.kernel_name=cnn-pipeline-java \
    --ExecutePreprocessor.timeout=1200 --output-dir executed "$nb" 2>&1 \
    | grep -v -E "^\[NbConvertApp\] (Converting|Writing)|^\[I [0-9 :.-]+ Loop-" || rc=${PIPESTATUS[0]}
  if ((rc)) || [[ ! -s "executed/$nb" ]] || ! python3 "$here/check_outputs.py" "executed/$nb"; then
    echo "notebooks: $nb failed" >&2
    exit 1
  fi
  echo "notebooks: $nb executed in $((SECONDS - start)) s"
done
