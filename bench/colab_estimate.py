"""An estimate of each chapter's run time on a Colab GPU (a T4), made without one: no GPU was at hand.

A chapter's run is the transformer's arithmetic plus everything else (loading, tokenizing, UMAP, scikit-learn, pandas).
The arithmetic is counted in floating-point operations from the data's token counts and the model's shape: a forward
pass costs 2 FLOPs per weight of the encoder's linear layers per token (plus attention), a training step 3 times a
forward
pass. The rest is taken from the chapter's measured run on this machine's CPU (`make notebooks --timing`), minus the
arithmetic it did there (all-MiniLM-L6-v2 at the rates measured here); on Colab it costs about the same, Colab's runtime
having 2 CPU cores too. On the T4 the same arithmetic (the course model, all-MiniLM-L6-v2, on Colab too) runs at an
assumed effective rate, and each chapter pays for its set-up (the install cell, the model and data downloads). Chapters
5 and 6 use the model chapter 4 saved in the same runtime. Every assumption is a
constant below and is written to the result file.

    python bench/colab_estimate.py --timings build/notebook-timings.json   # -> bench/results/colab_estimate.json
"""
import argparse, json
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent/"results"

# Assumptions (not measured here)
GPU = "NVIDIA T4 (Colab's free GPU)"
GPU_TRAIN_FLOPS = 10e12     # effective FLOP/s of mixed-precision training: ~15% of the T4's 65 TFLOP/s fp16 peak
GPU_INFER_FLOPS = 4e12      # effective FLOP/s of fp32 forward passes: ~50% of its 8.1 TFLOP/s fp32 peak
STEP_OVERHEAD_S = 0.03      # launching a training step's kernels, the optimizer, the data loader
SETUP_S = {"install cell": 45, "model download (all-MiniLM-L6-v2, 91 MB)": 5, "data download": 5, "imports": 15}
# Measured here (bench/results, the chapters' runs): all-MiniLM-L6-v2 on 2 CPU cores
CPU_TRAIN_SAMPLES_PER_S = 94   # chapter 4's run shown: 3 epochs of 16,000 tweets in 513 s
CPU_INFER_ROWS_PER_S = 209     # bench/results/feature_extraction.json, length-sorted batches


def linear_weights(layers:int, width:int, ffn:int)->int: return layers * (4 * width * width + 2 * width * ffn)
def forward_flops(weights:int, layers:int, width:int, tokens:float)->float:
    """FLOPs of a forward pass per token: 2 per linear weight, plus attention's scores and mixing over `tokens`
    positions."""
    return 2 * weights + layers * 4 * tokens * width

MINILM = dict(layers=6, width=384, ffn=1536, name="all-MiniLM-L6-v2")
DISTILBERT = dict(layers=6, width=768, ffn=3072, name="distilbert-base-uncased")


def per_token(model:dict, tokens:float)->float:
    return forward_flops(linear_weights(model["layers"], model["width"], model["ffn"]), model["layers"], model["width"],
                         tokens)


def work(tokens_per_tweet:float)->dict:
    """Per chapter, the transformer's work (kind, tweets, passes) in its committed run here and on Colab: the same model
    and recipe (all-MiniLM-L6-v2, 3 epochs); chapters 5 and 6 load the model chapter 4 saved, here and on Colab."""
    train, valid, test = 16_000, 2_000, 2_000
    fine_tune = lambda epochs: [("train", train, epochs), ("infer", valid, epochs), ("infer", valid + test, 1)]
    # chapter 2 times 3 paddings of 4,000 tweets: 622,016 positions in all (its table), as tweets of average length
    here = {"01_data": [], "02_tokenization": [("infer", 622_016 / tokens_per_tweet, 1)],
            "03_features": [],  # the run measured here read its features from the cache
            "04_finetuning": fine_tune(3) + [("infer", valid, 1), ("infer", train, 1)],
            "05_error_analysis": [("infer", valid, 1), ("infer", 37_732 + 213 + 971, 1)],  # + the negation rewrites
            "06_inference": [("infer", valid, 8)]}
    # a fresh runtime extracts them: one pass, both poolings
    colab = {**here, "03_features": [("infer", train + valid + test, 1)]}
    return here, colab


def seconds(jobs:list, model:dict, tokens:float, train_rate:float, infer_rate:float, steps_overhead:float=0.0)->float:
    flops = {"train": 3 * per_token(model, tokens), "infer": per_token(model, tokens)}
    total = 0.0
    for kind, tweets, passes in jobs:
        total += passes * tweets * tokens * flops[kind] / (train_rate if kind == "train" else infer_rate)
        if kind == "train": total += passes * tweets / 32 * steps_overhead  # the recipe's batches of 32
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timings", type=Path, required=True,
                        help="JSON {notebook: seconds} of the chapters' full runs here")
    parser.add_argument("--out", type=Path, default=RESULTS/"colab_estimate.json")
    args = parser.parse_args()
    from emotion_nbdev.data import load_emotions
    from emotion_nbdev.tokenization import load_tokenizer
    texts = list(load_emotions()["train"]["text"])
    # DistilBERT's uncased WordPiece too
    tokens = float(np.mean([len(ids) for ids in load_tokenizer()(texts)["input_ids"]]))
    measured = json.loads(args.timings.read_text())
    # the CPU's FLOP rates, from its measured speeds on MiniLM
    cpu_train = CPU_TRAIN_SAMPLES_PER_S * tokens * 3 * per_token(MINILM, tokens)
    cpu_infer = CPU_INFER_ROWS_PER_S * tokens * per_token(MINILM, tokens)
    here, colab = work(tokens)
    chapters = {}
    for name, jobs in here.items():
        arithmetic_here = seconds(jobs, MINILM, tokens, cpu_train, cpu_infer)
        rest = max(measured[name] - arithmetic_here, 0.0)
        gpu = seconds(colab[name], MINILM, tokens, GPU_TRAIN_FLOPS, GPU_INFER_FLOPS, STEP_OVERHEAD_S)
        # the assumed GPU rates are the least certain part: the high end assumes half of them, and twice the step
        # overhead
        gpu_slow = seconds(colab[name], MINILM, tokens, GPU_TRAIN_FLOPS / 2, GPU_INFER_FLOPS / 2, 2 * STEP_OVERHEAD_S)
        chapters[name] = dict(measured_here_s=round(measured[name]), arithmetic_here_s=round(arithmetic_here),
                              rest_s=round(rest),
                              gpu_arithmetic_s=round(gpu), setup_s=sum(SETUP_S.values()),
                              estimate_s=round(rest + gpu + sum(SETUP_S.values())),
                              estimate_high_s=round(rest + gpu_slow + sum(SETUP_S.values())),
                              fine_tunes=any(kind == "train" for kind, _, _ in colab[name]))
    result = dict(note="an estimate: no GPU was used; see bench/colab_estimate.py for the method", gpu=GPU,
                  tokens_per_tweet=round(tokens, 2), assumptions=dict(gpu_train_flops=GPU_TRAIN_FLOPS,
                                                                      gpu_infer_flops=GPU_INFER_FLOPS,
                  step_overhead_s=STEP_OVERHEAD_S, setup_s=SETUP_S, cpu_train_flops=round(cpu_train),
                  cpu_infer_flops=round(cpu_infer)),
                  chapters=chapters,
                  # the book's model, one setting away: DistilBERT's 2 epochs against the course model's 3, in
                  # arithmetic
                  distilbert_training_arithmetic_ratio=round(2 * per_token(DISTILBERT,
                                                                           tokens) / (3 * per_token(MINILM, tokens)),
                                                                           2))
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"fine-tuning DistilBERT (2 epochs) is {result['distilbert_training_arithmetic_ratio']}x the arithmetic of "
          "the course model (3)")
    for name, c in chapters.items():
        print(f"{name}: here {c['measured_here_s']} s, Colab T4 {c['estimate_s'] / 60:.1f} to "
              f"{c['estimate_high_s'] / 60:.1f} min (estimate)")


if __name__ == "__main__":
    main()
