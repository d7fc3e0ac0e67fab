#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the node's NVIDIA GPUs as
#   {"name": "gpu", "addresses": ["0", "1", ...]}
# from nvidia-smi. Spark gives each executor spark.executor.resource.gpu.amount of them; GpuExecutorPlugin binds the
# executor's ND4J CUDA backend to the first. With no nvidia-smi or no GPU it prints an empty list.
set -euo pipefail
addresses=""
if command -v nvidia-smi >/dev/null 2>&1; then
  while read -r index; do
    [[ -n "$index" ]] || continue
    addresses+="${addresses:+, }\"${index}\""
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null || true)
fi
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
