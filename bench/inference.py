"""CPU inference: the naive per-tweet pipeline vs batched PyTorch vs batched int8 ONNX Runtime.

In one run on this machine, for each path: throughput on the 2,000 test tweets (median over
repeats), single-tweet latency (p50 / p95 over tweets sent one at a time: `pipeline(text)` for the
naive path, `EmotionClassifier.classify(text)` for the others), and test accuracy.

    python bench/inference.py --model models/emotion-classifier
"""
import argparse, json, os, platform, statistics, time
from pathlib import Path

import numpy as np
import torch
from transformers import pipeline

from emotion_nbdev.settings import cpu_count
from emotion_nbdev.data import load_emotions
from emotion_nbdev.inference import EmotionClassifier


def timed(fn, *args):
    start = time.perf_counter(); out = fn(*args); return out, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/emotion-classifier")
    parser.add_argument("--repeats", type=int, default=3, help="throughput passes over the test set")
    parser.add_argument("--latency-tweets", type=int, default=300, help="tweets sent one at a time")
    parser.add_argument("--batch-size", type=int, default=None, help="default: each backend's own (64 torch, 16 onnx)")
    parser.add_argument("--out", default=str(Path(__file__).parent/"results"/"inference.json"))
    args = parser.parse_args()

    test = load_emotions()["test"]
    texts, labels = list(test["text"]), np.array(test["label"])
    single = [texts[i] for i in np.random.default_rng(0).choice(len(texts), args.latency_tweets, replace=False)]

    naive = pipeline("text-classification", model=args.model, top_k=None, device=-1)
    label2id = naive.model.config.label2id
    torch_clf = EmotionClassifier(args.model, backend="torch")
    onnx_clf = EmotionClassifier(args.model, backend="onnx")
    paths = {
        "naive pipeline, one tweet per call": (lambda ts: [max(naive(t)[0],
                                                               key=lambda p: p["score"])["label"] for t in ts],
                                               lambda t: naive(t)),
        "batched PyTorch fp32 (predict)": (lambda ts: torch_clf.predict(ts, batch_size=args.batch_size,
                                                                        progress=False)["label"].tolist(),
                                           torch_clf.classify),
        "batched ONNX Runtime int8 (predict, backend='onnx')": (lambda ts: onnx_clf.predict(ts,
            batch_size=args.batch_size, progress=False)["label"].tolist(),
                                                                onnx_clf.classify),
    }
    results = []
    for name, (many, one) in paths.items():
        for t in single[:10]: one(t)  # warm-up
        runs = []
        for _ in range(args.repeats):
            predicted, seconds = timed(many, texts); runs.append(seconds)
        accuracy = float((np.array([label2id[p] for p in predicted]) == labels).mean())
        latencies = [timed(one, t)[1] * 1000 for t in single]
        results.append(dict(path=name, tweets_per_s=round(len(texts) / statistics.median(runs), 1),
                            throughput_runs_s=[round(r, 2) for r in runs],
                            p50_ms=round(float(np.percentile(latencies, 50)), 2),
                            p95_ms=round(float(np.percentile(latencies, 95)), 2),
                            test_accuracy=round(accuracy, 4)))
        print(f"{name}: {results[-1]['tweets_per_s']} tweets/s, p50 {results[-1]['p50_ms']} ms, p95 "
              f"{results[-1]['p95_ms']} ms, accuracy {accuracy:.4f}", flush=True)
    base, fast = results[0], results[-1]
    summary = dict(speedup_vs_naive=round(fast["tweets_per_s"] / base["tweets_per_s"], 2),
                   onnx_accuracy_loss_points=round(100 * (results[1]["test_accuracy"] - fast["test_accuracy"]), 2),
                   targets=dict(speedup=">= 5x", tweets_per_s=">= 400", p50_ms="<= 4", accuracy_loss_points="<= 0.5"))
    out = dict(machine=platform.machine(), cpus=cpu_count(), torch_threads=torch.get_num_threads(),
               tweets=len(texts), latency_tweets=len(single), batch_size=args.batch_size or "backend default (64 "
                                                                                            "torch, 16 onnx)",
                                                                                                summary=summary,
                                                                                                    paths=results)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
