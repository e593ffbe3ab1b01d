import logging
from pathlib import Path

import pytest

from emotion_nbdev.settings import EMOTIONS, logger

WORDS = {"sadness": ["sad", "lonely", "miserable", "gloomy"], "joy": ["happy", "glad", "cheerful", "delighted"],
         "love": ["loving", "tender", "adored", "affectionate"], "anger": ["angry", "furious", "irritated", "mad"],
         "fear": ["scared", "afraid", "anxious", "terrified"],
         "surprise": ["surprised", "amazed", "shocked", "stunned"]}


@pytest.fixture
def logged():
    "Messages the project's logger emits during a test."
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def synthetic_lines(n_per_class: int, offset: int = 0) -> list[str]:
    "`text;label` lines of easy synthetic tweets, balanced over the six emotions."
    lines = []
    for i in range(n_per_class):
        for label in EMOTIONS:
            word = WORDS[label][(i + offset) % 4]
            lines.append(f"i feel so {word} today number {i + offset};{label}")
    return lines


@pytest.fixture(scope="session")
def carer_dir(tmp_path_factory) -> Path:
    "A small CARER folder (train 96, val 24, test 24) the tests write themselves."
    folder = tmp_path_factory.mktemp("carer")
    for name, n, offset in (("train.txt", 16, 0), ("val.txt", 4, 100), ("test.txt", 4, 200)):
        (folder/name).write_text("\n".join(synthetic_lines(n, offset)) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    "A tiny random BERT with the real WordPiece tokenizer."
    from emotion_nbdev.tiny import tiny_checkpoint
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny")/"tiny")


@pytest.fixture(scope="session")
def trained_tiny(carer_dir, tiny_model_dir, tmp_path_factory) -> Path:
    "The tiny model fine-tuned for one epoch on the synthetic data, saved as a full model folder."
    from emotion_nbdev.data import load_emotions
    from emotion_nbdev.training import train_classifier
    out = tmp_path_factory.mktemp("trained")/"model"
    train_classifier(load_emotions(carer_dir), str(tiny_model_dir), out, epochs=1, batch_size=16, learning_rate=1e-3,
                     disable_tqdm=True)
    return out
