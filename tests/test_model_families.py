"""Each architecture the course meets, end to end on a tiny random model with a real tokenizer:
features -> train -> evaluate -> predict (PyTorch, and ONNX int8 with the [CLS]-only last layer)."""
import json

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from emotion_nbdev.reports import evaluate_report
from emotion_nbdev.data import load_emotions
from emotion_nbdev.features import extract_hidden_states
from emotion_nbdev.finetune import default_recipe
from emotion_nbdev.tiny import TINY_MODEL_TYPES, tiny_checkpoint
from emotion_nbdev.training import train_classifier
from emotion_nbdev.inference import EmotionClassifier
from emotion_nbdev.int8 import OnnxBackend, cls_only, export_onnx

TEXTS = ["i feel so happy today", "this is making me furious and i do not know why at all", "ok", "i am scared"]


@pytest.fixture(scope="module", params=TINY_MODEL_TYPES)
def family(request, carer_dir, tmp_path_factory):
    "(model_type, the tiny base encoder, the classifier trained from it for one epoch, its metrics)."
    folder = tmp_path_factory.mktemp(request.param)
    base = tiny_checkpoint(folder/"encoder", request.param)  # the folder's name says nothing of the architecture
    trained = folder/"classifier"
    metrics = train_classifier(load_emotions(carer_dir), str(base), trained, epochs=1, batch_size=16,
                               learning_rate=1e-3,
                               disable_tqdm=True)
    return request.param, base, trained, metrics


def test_recipe_follows_the_architecture_not_the_name(family):
    model_type, base, _, _ = family
    recipe = default_recipe(str(base))
    book = (recipe["epochs"], recipe["learning_rate"], recipe["batch_size"]) == (2, 2e-5, 64)
    # the book's recipe for DistilBERT, by config, whatever the folder's name
    assert book == (model_type == "distilbert"), recipe


def test_frozen_features(family):
    _, base, _, _ = family
    model, tokenizer = AutoModel.from_pretrained(base), AutoTokenizer.from_pretrained(base)
    for pooling in ("cls", "mean"):
        features = extract_hidden_states(TEXTS, model, tokenizer, pooling, batch_size=2, progress=False)
        assert features.shape == (len(TEXTS), 32) and np.isfinite(features).all()
    # length-sorted batches give each text the features it gets alone
    alone = extract_hidden_states(TEXTS[1:2], model, tokenizer, "mean", progress=False)
    np.testing.assert_allclose(extract_hidden_states(TEXTS, model, tokenizer, "mean", batch_size=4,
                                                     progress=False)[1:2],
                               alone, atol=1e-5)


def test_trained_folder_and_evaluate(family, carer_dir):
    model_type, _, trained, metrics = family
    config = json.loads((trained/"config.json").read_text())
    assert config["model_type"] == model_type and config["id2label"]["0"] == "sadness"
    assert {"validation", "test"} <= set(metrics) and metrics["recipe"]["epochs"] == 1
    report = evaluate_report(trained, carer_dir, "test")
    assert report.startswith("test: 24 examples, accuracy ") and "surprise" in report


def test_cls_only_last_layer_keeps_the_logits(family):
    model_type, _, trained, _ = family
    tokenizer = AutoTokenizer.from_pretrained(trained)
    full = AutoModelForSequenceClassification.from_pretrained(trained, attn_implementation="eager").eval()
    trimmed = cls_only(AutoModelForSequenceClassification.from_pretrained(trained, attn_implementation="eager").eval())
    layers = trimmed.base_model.transformer.layer if model_type == "distilbert" else trimmed.base_model.encoder.layer
    assert layers[-1].forward.__name__ == "first_position_forward"
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")  # padded rows too
    batch = {k: batch[k] for k in ("input_ids", "attention_mask")}
    with torch.inference_mode():
        torch.testing.assert_close(trimmed(**batch).logits, full(**batch).logits, atol=1e-5, rtol=1e-4)


def test_predict_torch_and_onnx(family):
    _, _, trained, _ = family
    torch_probs = EmotionClassifier(trained, "torch").predict(TEXTS)
    assert list(torch_probs["text"]) == TEXTS and np.allclose(torch_probs.iloc[:, 3:9].sum(axis=1), 1, atol=1e-5)
    # the fused float32 export computes what PyTorch computes...
    tokenizer = AutoTokenizer.from_pretrained(trained)
    batch = tokenizer(TEXTS, padding=True, return_tensors="np")
    feed = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.inference_mode():
        expected = AutoModelForSequenceClassification.from_pretrained(trained).eval()(
            **{k: torch.from_numpy(v) for k, v in feed.items()}).logits.numpy()
    np.testing.assert_allclose(OnnxBackend(export_onnx(trained, quantize=False), threads=1)(feed), expected, atol=1e-4)
    # ...and the int8 model the classifier serves stays close to it
    onnx_probs = EmotionClassifier(trained, "onnx").predict(TEXTS)
    names = list(torch_probs.columns[3:9])
    assert np.abs(onnx_probs[names].to_numpy() - torch_probs[names].to_numpy()).max() < 0.05
