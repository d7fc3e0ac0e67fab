"""Parameter-averaging cost model of docs/scaling.md: predicted scaling efficiency of dl4j-spark's
ParameterAveragingTrainingMaster per network, worker count and averaging frequency.

usage: python3 docs/scaling_model.py      (prints the tables of docs/scaling.md)
"""
import math

# Per-round fixed cost (s): Spark job + stage scheduling, task launch and result handling, network instantiation.
T0_CLUSTER = 0.14  # measured: 2 executor JVMs on local-cluster (docs/scaling.md)
BANDWIDTH = 1.25e9  # bytes/s per link: 10 Gbit/s Ethernet

# name: (parameters, updater state per parameter (Nesterov momentum = 1), images/s of one worker (one core), batch)
NETWORKS = {
    "LeNet (28x28)": (431_080, 1, 1329.0, 32),
    "ResNet-18 (224x224)": (11_699_112, 1, None, 32),
    "ResNet-50 (224x224)": (25_610_152, 1, None, 32),
}


def round_overhead(params, state, workers, t0=T0_CLUSTER, bandwidth=BANDWIDTH):
    """Seconds per averaging round spent outside the workers' minibatches.

    The driver broadcasts parameters + updater state (S bytes; TorrentBroadcast: about log2(W)+1 transfer steps) and
    gets them back through treeAggregate of depth 2 (each of ~sqrt(W) partial sums receives sqrt(W) copies, then the
    driver sqrt(W) partial sums: 2 sqrt(W) S / bandwidth).
    """
    s = params * 4 * (1 + state)
    broadcast = s / bandwidth * (math.ceil(math.log2(workers)) + 1)
    aggregate = 2 * math.sqrt(workers) * s / bandwidth
    return t0 + broadcast + aggregate


def efficiency(params, state, rate, batch, workers, frequency, **kw):
    compute = frequency * batch / rate
    return compute / (compute + round_overhead(params, state, workers, **kw))


def frequency_for(target, params, state, rate, batch, workers, **kw):
    f = 1
    while efficiency(params, state, rate, batch, workers, f, **kw) < target and f < 10_000:
        f += 1
    return f


def main(resnet18_rate=None):
    rates = dict(NETWORKS)
    if resnet18_rate:
        p, u, _, b = rates["ResNet-18 (224x224)"]
        rates["ResNet-18 (224x224)"] = (p, u, resnet18_rate, b)
        p50, u50, _, b50 = rates["ResNet-50 (224x224)"]
        # ResNet-50 costs 8.20 / 3.63 GFLOPs of ResNet-18 per image (cnn-pipeline network)
        rates["ResNet-50 (224x224)"] = (p50, u50, resnet18_rate * 3.63 / 8.20, b50)
    workers = [2, 4, 8, 16, 32, 64]
    print("| network | worker images/s | S (MB) | " + " | ".join(f"E at {w}, F=5" for w in workers)
          + " | F for E >= 0.9 at 64 |")
    print("|---|---:|---:|" + "---:|" * len(workers) + "---:|")
    for name, (p, u, r, b) in rates.items():
        if r is None:
            continue
        effs = [efficiency(p, u, r, b, w, 5) for w in workers]
        print(f"| {name} | {r:,.1f} | {p * 4 * (1 + u) / 1e6:,.1f} | " + " | ".join(f"{e:.2f}" for e in effs)
              + f" | {frequency_for(0.9, p, u, r, b, 64)} |")


if __name__ == "__main__":
    import sys
    main(float(sys.argv[1]) if len(sys.argv) > 1 else None)
