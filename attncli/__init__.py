"""attn: a command-line trainer for attention-based text classifiers."""

__version__ = "0.2.0"
