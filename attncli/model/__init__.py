"""The attention classifier, one concept per module; `build_model` turns a config into a model."""

from attncli.model.classifier import AttentionClassifier, ModelOutput, build_model

__all__ = ["AttentionClassifier", "ModelOutput", "build_model"]
