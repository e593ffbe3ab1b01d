"""Train the tiny model on the synthetic data; run by the tests as a separate process.

    python tests/train_tiny.py DATA_DIR MODEL_DIR OUTPUT_DIR [--epochs N] [--kill-at-step S] [--resume]
    torchrun --nproc_per_node 2 tests/train_tiny.py ...     # DDP on CPU (gloo)
"""
import argparse, json, os, signal

from transformers import TrainerCallback

from emotion_nbdev.data import load_emotions
from emotion_nbdev.training import train_classifier


class KillAt(TrainerCallback):
    "Kill this process (SIGKILL: no clean-up, like a crash or a pre-empted machine) at a training step."
    def __init__(self, step): self.step = step
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step: os.kill(os.getpid(), signal.SIGKILL)


parser = argparse.ArgumentParser()
parser.add_argument("data"); parser.add_argument("model"); parser.add_argument("output")
parser.add_argument("--epochs", type=float, default=2)
parser.add_argument("--kill-at-step", type=int, default=None)
parser.add_argument("--resume", action="store_true")
args = parser.parse_args()
distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
metrics = train_classifier(load_emotions(args.data), args.model, args.output, epochs=args.epochs, batch_size=16,
                           learning_rate=1e-3, resume=args.resume, disable_tqdm=True, save_total_limit=None,
                           callbacks=[KillAt(args.kill_at_step)] if args.kill_at_step else None,
                           **(dict(ddp_backend="gloo") if distributed else {}))
if int(os.environ.get("RANK", "0")) == 0: print("METRICS " + json.dumps(metrics))
