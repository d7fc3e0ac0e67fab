#!/usr/bin/env bash
# Runs one cnn-pipeline stage on a Spark cluster with the shaded jar.
#
#   submit-scripts/submit.sh STAGE [--config FILE]... [--set KEY=VALUE]... [other cnn-pipeline options]
#   STAGE: preprocess | train | evaluate | run
#
# Environment (all optional):
#   SPARK_PROFILE    a Spark profile: local | standalone | yarn | kubernetes (conf/spark/NAME.properties) or the path
#                    of a properties file; passed as --properties-file (executor sizes, ND4J off-heap limits and
#                    memoryOverhead, OMP_NUM_THREADS, Kryo with ND4J's registrator, event log). Without one, Spark
#                    reads its own conf/spark-defaults.conf.
#   MASTER           --master (default: the profile's spark.master)
#   DEPLOY_MODE      --deploy-mode (default: the profile's spark.submit.deployMode, else client)
#   NUM_EXECUTORS, EXECUTOR_CORES, EXECUTOR_MEMORY, DRIVER_MEMORY   override the profile's sizes
#   JAR              the shaded jar (default: pipeline/target/cnn-pipeline-*-spark.jar, built if missing)
#   SPARK_SUBMIT     spark-submit to use (default: $SPARK_HOME/bin/spark-submit, else spark-submit on PATH, else
#                    submit-scripts/spark-submit, which runs Spark's launcher from the Maven build's jars)
#   EXTRA_SPARK_ARGS more spark-submit arguments, e.g. "--queue ml --conf spark.yarn.maxAppAttempts=1"
#   GPUS_PER_EXECUTOR  GPUs per executor for Spark's resource scheduling (default: 0 = CPU). Needs the GPU jar
#                    (./mvnw -Pcuda -DskipTests package; JAR=...). Each executor gets that many GPUs found by
#                    submit-scripts/gpu-discovery.sh (shipped with --files), each task one GPU
#                    (spark.task.resource.gpu.amount=1, so an executor runs as many training workers as it has GPUs),
#                    and GpuExecutorPlugin binds the executor's ND4J CUDA backend to its first GPU. Set
#                    EXECUTOR_CORES to the CPU cores the minibatch building may use. Unverified on GPUs.
#   DRY_RUN=1        print the spark-submit command, one argument per line, instead of running it
#
# Configuration files: in cluster deploy mode on YARN they are shipped with --files and the driver reads them by
# file name; otherwise the driver reads them at their absolute paths (on standalone and Kubernetes in cluster mode,
# put them where the driver's machine or image sees them). Parameter-averaging workers default to Spark's default
# parallelism (executors x cores); set train.workers to change it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

stage="${1:-}"
case "$stage" in
  preprocess|train|evaluate|run) shift ;;
  *) echo "usage: $0 preprocess|train|evaluate|run [--config FILE]... [--set KEY=VALUE]..." >&2; exit 2 ;;
esac

profile=""
if [[ -n "${SPARK_PROFILE:-}" ]]; then
  case "$SPARK_PROFILE" in
    */*|*.properties) profile="$SPARK_PROFILE" ;;
    *) profile="$here/conf/spark/$SPARK_PROFILE.properties" ;;
  esac
  [[ -f "$profile" ]] || {
    echo "error: Cannot use SPARK_PROFILE: no such profile (got $SPARK_PROFILE; profiles: local, standalone, yarn," \
      "kubernetes or a properties file)" >&2; exit 2; }
  profile="$(cd "$(dirname "$profile")" && pwd)/$(basename "$profile")"
fi
# A property of the profile (spark-defaults.conf syntax: key, whitespace or '=' or ':', value), or empty.
profile_value() {
  [[ -n "$profile" ]] || return 0
  sed -n -E "s/^[[:space:]]*$(sed 's/\./\\./g' <<<"$1")[[:space:]]*[=:[:space:]][[:space:]]*//p" "$profile" | tail -n 1
}
master="${MASTER:-$(profile_value spark.master)}"
deploy_mode="${DEPLOY_MODE:-$(profile_value spark.submit.deployMode)}"
deploy_mode="${deploy_mode:-client}"

if [[ -z "${JAR:-}" ]]; then
  JAR="$(ls "$here"/pipeline/target/cnn-pipeline-*-spark.jar 2>/dev/null | head -n 1 || true)"
  if [[ -z "$JAR" ]]; then
    (cd "$here" && ./mvnw -q -B -DskipTests package) >&2
    JAR="$(ls "$here"/pipeline/target/cnn-pipeline-*-spark.jar | head -n 1)"
  fi
fi
[[ "$JAR" == *://* ]] || JAR="$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")"
if [[ -z "${SPARK_SUBMIT:-}" ]]; then
  if [[ -n "${SPARK_HOME:-}" && -x "$SPARK_HOME/bin/spark-submit" ]]; then
    SPARK_SUBMIT="$SPARK_HOME/bin/spark-submit"
  elif command -v spark-submit >/dev/null 2>&1; then
    SPARK_SUBMIT=spark-submit
  else
    SPARK_SUBMIT="$here/submit-scripts/spark-submit"
  fi
fi

files=()
args=()
while (($#)); do
  case "$1" in
    -c|--config)
      [[ -f "${2:-}" ]] || { echo "error: Cannot use --config: file does not exist (got ${2:-nothing})" >&2; exit 2; }
      if [[ "$deploy_mode" == cluster && "$master" == yarn* ]]; then
        files+=("$2"); args+=(--config "$(basename "$2")")
      else
        args+=(--config "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")")
      fi
      shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

submit=(--deploy-mode "$deploy_mode" --name "cnn-pipeline $stage" --class io.cnnpipeline.pipeline.Cli)
[[ -n "$profile" ]] && submit+=(--properties-file "$profile")
[[ -n "$master" ]] && submit+=(--master "$master")
[[ -n "${NUM_EXECUTORS:-}" ]] && submit+=(--num-executors "$NUM_EXECUTORS")
[[ -n "${EXECUTOR_CORES:-}" ]] && submit+=(--executor-cores "$EXECUTOR_CORES")
[[ -n "${EXECUTOR_MEMORY:-}" ]] && submit+=(--executor-memory "$EXECUTOR_MEMORY")
[[ -n "${DRIVER_MEMORY:-}" ]] && submit+=(--driver-memory "$DRIVER_MEMORY")
if [[ -z "$profile" ]]; then
  # What the profiles set, for a Spark whose spark-defaults.conf knows nothing of ND4J: one OpenMP thread per task
  # (Spark runs executor-cores tasks at once), and dl4j-spark's training statistics on the system clock.
  time_source=-Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource
  submit+=(--conf spark.executorEnv.OMP_NUM_THREADS=1 --conf spark.yarn.appMasterEnv.OMP_NUM_THREADS=1
    --conf spark.task.maxFailures=4 --conf "spark.driver.defaultJavaOptions=$time_source"
    --conf "spark.executor.defaultJavaOptions=$time_source")
fi

gpus="${GPUS_PER_EXECUTOR:-0}"
if [[ ! "$gpus" =~ ^[0-9]+$ ]]; then
  echo "error: Cannot use GPUS_PER_EXECUTOR: must be a whole number (got $gpus)" >&2; exit 2
fi
if ((gpus > 0)); then
  files+=("$here/submit-scripts/gpu-discovery.sh")
  submit+=(--conf "spark.executor.resource.gpu.amount=$gpus" --conf spark.task.resource.gpu.amount=1
    --conf spark.executor.resource.gpu.discoveryScript=./gpu-discovery.sh
    --conf spark.plugins=io.cnnpipeline.training.GpuExecutorPlugin)
fi
if ((${#files[@]})); then submit+=(--files "$(IFS=,; echo "${files[*]}")"); fi
# shellcheck disable=SC2206
extra=(${EXTRA_SPARK_ARGS:-})

# One OpenMP thread per Spark task, also in a driver that trains (local mode) or evaluates.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
command=("$SPARK_SUBMIT" "${submit[@]}" "${extra[@]}" "$JAR" "$stage" "${args[@]}")
if [[ -n "${DRY_RUN:-}" ]]; then
  printf '%s\n' "${command[@]}"
  exit 0
fi
exec "${command[@]}"
