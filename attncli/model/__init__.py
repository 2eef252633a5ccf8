"""The attention classifier, one concept per module; `build_model` turns a config into a model."""

from attncli.model.classifier import AttentionClassifier, build_model

__all__ = ["AttentionClassifier", "build_model"]
