#!/usr/bin/env bash
# Runs one cnn-pipeline stage on a Spark cluster with the shaded jar.
#
#   submit-scripts/submit.sh STAGE [--config FILE]... [--set KEY=VALUE]...
#   STAGE: preprocess | train | evaluate | run
#
# Environment (all optional):
#   SPARK_SUBMIT     spark-submit to use (default: $SPARK_HOME/bin/spark-submit, else spark-submit on PATH)
#   MASTER           --master (default: yarn)          DEPLOY_MODE   --deploy-mode (default: client)
#   NUM_EXECUTORS    executors (default: 2)            EXECUTOR_CORES  cores per executor (default: 4)
#   EXECUTOR_MEMORY  (default: 8g)                     DRIVER_MEMORY   (default: 4g)
#   JAR              the shaded jar (default: pipeline/target/cnn-pipeline-*-spark.jar, built if missing)
#   EXTRA_SPARK_ARGS more spark-submit arguments, e.g. "--queue ml --conf spark.yarn.maxAppAttempts=1"
#   GPUS_PER_EXECUTOR  GPUs per executor for Spark's resource scheduling (default: 0 = CPU). Needs the GPU jar
#                    (./mvnw -Pcuda -DskipTests package; JAR=...). Each executor gets that many GPUs found by
#                    submit-scripts/gpu-discovery.sh (shipped with --files), each task one GPU
#                    (spark.task.resource.gpu.amount=1, so an executor runs as many training workers as it has GPUs),
#                    and GpuExecutorPlugin binds the executor's ND4J CUDA backend to its first GPU. Set
#                    EXECUTOR_CORES to the CPU cores the minibatch building may use. Unverified on GPUs.
#
# Configuration files are shipped with --files; in cluster deploy mode the driver reads them by file name.
# Parameter-averaging workers default to Spark's default parallelism (NUM_EXECUTORS x EXECUTOR_CORES); set
# train.workers to change it. ND4J runs one OpenMP thread per task (OMP_NUM_THREADS=1 on the executors), so an
# executor's cores are not oversubscribed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

stage="${1:-}"
case "$stage" in
  preprocess|train|evaluate|run) shift ;;
  *) echo "usage: $0 preprocess|train|evaluate|run [--config FILE]... [--set KEY=VALUE]..." >&2; exit 2 ;;
esac

if [[ -z "${JAR:-}" ]]; then
  JAR="$(ls "$here"/pipeline/target/cnn-pipeline-*-spark.jar 2>/dev/null | head -n 1 || true)"
  if [[ -z "$JAR" ]]; then
    (cd "$here" && ./mvnw -q -B -DskipTests package) >&2
    JAR="$(ls "$here"/pipeline/target/cnn-pipeline-*-spark.jar | head -n 1)"
  fi
fi
if [[ -z "${SPARK_SUBMIT:-}" ]]; then
  if [[ -n "${SPARK_HOME:-}" ]]; then SPARK_SUBMIT="$SPARK_HOME/bin/spark-submit"; else SPARK_SUBMIT=spark-submit; fi
fi
deploy_mode="${DEPLOY_MODE:-client}"

# dl4j-spark's training statistics (train.collect-training-stats) use the system clock, not an NTP client.
time_source=org.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource

files=()
args=()
while (($#)); do
  case "$1" in
    -c|--config)
      [[ -f "$2" ]] || { echo "error: Cannot use --config: file does not exist (got $2)" >&2; exit 2; }
      files+=("$2")
      if [[ "$deploy_mode" == cluster ]]; then args+=(--config "$(basename "$2")"); else args+=(--config "$2"); fi
      shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
gpu_args=()
gpus="${GPUS_PER_EXECUTOR:-0}"
if [[ ! "$gpus" =~ ^[0-9]+$ ]]; then
  echo "error: Cannot use GPUS_PER_EXECUTOR: must be a whole number (got $gpus)" >&2; exit 2
fi
if ((gpus > 0)); then
  files+=("$here/submit-scripts/gpu-discovery.sh")
  gpu_args=(
    --conf "spark.executor.resource.gpu.amount=$gpus"
    --conf spark.task.resource.gpu.amount=1
    --conf spark.executor.resource.gpu.discoveryScript=./gpu-discovery.sh
    --conf spark.plugins=io.cnnpipeline.training.GpuExecutorPlugin
  )
fi
files_arg=()
if ((${#files[@]})); then files_arg=(--files "$(IFS=,; echo "${files[*]}")"); fi

# shellcheck disable=SC2086
exec "$SPARK_SUBMIT" \
  --master "${MASTER:-yarn}" \
  --deploy-mode "$deploy_mode" \
  --name "cnn-pipeline $stage" \
  --class io.cnnpipeline.pipeline.Cli \
  --num-executors "${NUM_EXECUTORS:-2}" \
  --executor-cores "${EXECUTOR_CORES:-4}" \
  --executor-memory "${EXECUTOR_MEMORY:-8g}" \
  --driver-memory "${DRIVER_MEMORY:-4g}" \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 \
  --conf spark.yarn.appMasterEnv.OMP_NUM_THREADS=1 \
  --conf spark.task.maxFailures=4 \
  --conf spark.driver.defaultJavaOptions=-D$time_source \
  --conf spark.executor.defaultJavaOptions=-D$time_source \
  "${gpu_args[@]}" \
  "${files_arg[@]}" \
  ${EXTRA_SPARK_ARGS:-} \
  "$JAR" "$stage" "${args[@]}"
