"""Feature extraction speed: length-sorted vs unsorted batches, same outputs.

Runs both orders alternately in one process (so they see the same machine state), reports the
median rows/s over repeats and the largest difference between the two feature matrices.

    python bench/feature_extraction.py            # 4,000 validation+test tweets, 3 repeats
    python bench/feature_extraction.py --rows 1000 --repeats 2
"""
import argparse, json, platform, statistics, time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from emotion_nbdev.settings import get_device
from emotion_nbdev.hub import resolve_checkpoint
from emotion_nbdev.data import load_emotions
from emotion_nbdev.features import extract_hidden_states


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000, help="tweets to embed (validation, then test)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--pooling", default="mean")
    parser.add_argument("--out", default=str(Path(__file__).parent/"results"/"feature_extraction.json"))
    args = parser.parse_args()

    emotions = load_emotions()
    texts = (list(emotions["validation"]["text"]) + list(emotions["test"]["text"]))[:args.rows]
    checkpoint = resolve_checkpoint()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModel.from_pretrained(checkpoint).to(get_device()).eval()
    extract = lambda sort: extract_hidden_states(texts, model, tokenizer, args.pooling, args.batch_size,
                                                 sort_by_length=sort, progress=False)
    extract(True)  # warm-up
    times, outputs = {True: [], False: []}, {}
    for _ in range(args.repeats):
        for sort in (False, True):
            start = time.perf_counter(); outputs[sort] = extract(sort); times[sort].append(time.perf_counter() - start)
    max_diff = float(np.abs(outputs[True] - outputs[False]).max())
    runs = [dict(batches="sorted by length" if sort else "unsorted", median_s=round(statistics.median(t), 3),
                 rows_per_s=round(len(texts) / statistics.median(t), 1), repeats=[round(x, 3) for x in t])
            for sort, t in ((False, times[False]), (True, times[True]))]
    result = dict(rows=len(texts), batch_size=args.batch_size, pooling=args.pooling,
                  checkpoint=Path(checkpoint).name if Path(checkpoint).is_dir() else checkpoint,
                  device=str(get_device()), torch_threads=torch.get_num_threads(),
                  machine=platform.processor() or platform.machine(),
                  speedup=round(statistics.median(times[False]) / statistics.median(times[True]), 2),
                  max_abs_diff=max_diff, runs=runs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for run in runs: print(f"{run['batches']:>17}: {run['rows_per_s']:8.1f} rows/s (median of {args.repeats})")
    print(f"speed-up {result['speedup']}x, max |difference| {max_diff:.2e}")
    assert max_diff < 1e-5, "sorted and unsorted features differ"


if __name__ == "__main__":
    main()
