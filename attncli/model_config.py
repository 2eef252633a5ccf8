"""The model section of the settings, `ModelConfig`: its fields, the contradictions `__post_init__`
refuses (its kinds checked against the model registry, imported only then), and the sized values."""

from __future__ import annotations

from dataclasses import dataclass

from attncli.config_checks import require, require_choice, require_path_or_none, typed_fields
from attncli.migrations import OLD_POOLING_SCORINGS
from attncli.sized_settings import sized

ATTENTION_IMPLS = ("fused", "explicit")
TRUNCATIONS = ("head", "tail", "head+tail")
"""Which tokens of a text longer than max_length the model reads (`attncli.tokenization.kept_ends`)."""


# The most numbers a model's position tables may hold (400 MB in float32, about 1.8 GB at their
# peak while a sinusoidal one is computed in float64): a config.json doctored to max_length 10^7
# built a 10 GB sinusoidal table before its weights were found not to fit.
MAX_POSITION_NUMBERS = 100_000_000


@dataclass(frozen=True)
class ModelConfig:
    embed_dim: int | None = None
    """Width of token embeddings and of every attention block (empty: 64, 128 or 256 by data size)."""
    num_heads: int = 4
    """Attention heads per block; must divide embed_dim."""
    num_layers: int | None = None
    """Self-attention blocks before pooling (0 pools the embeddings directly; empty: by data size)."""
    ff_dim: int = 256
    """Hidden width of each block's feed-forward layer."""
    dropout: float | None = None
    """Dropout on embeddings, block outputs and the pooled vector (empty: 0.3, or 0.5 on small data
    without adversarial training)."""
    attention_dropout: float = 0.0
    """Dropout on self-attention probabilities; above 0 it rules out the fast fused CPU kernel."""
    max_length: int | None = None
    """Longest input in tokens; longer texts are truncated (empty: room for 99% of the training
    texts, at most 512)."""
    truncation: str = "head"
    """Which tokens of a text longer than max_length are read: head (its first max_length), tail (its
    last) or head+tail (a quarter from its start, the rest from its end)."""
    positional: str = "sinusoidal"
    """Positional encoding: none, sinusoidal, learned, segment, relative, rope or alibi."""
    max_relative_distance: int = 16
    """Largest distance |j - i| the relative encoding tells apart; farther ones share its vector."""
    segment_length: int = 64
    """Tokens per segment of the segment encoding."""
    attention: str = "scaled_dot"
    """Scoring of query against key, in self-attention and pooling: dot, scaled_dot or additive."""
    attention_impl: str = "fused"
    """fused: torch's fused kernel where the scoring allows (dot, scaled_dot); explicit: softmax(scores)V."""
    pooling: str = "attention"
    """How the token states become one vector: attention, cls, mean or max."""
    pooling_attention: str | None = None
    """Scoring of attention pooling when it should differ from model.attention."""
    pooling_heads: int | None = None
    """Heads of attention pooling; must divide embed_dim (empty: heads of width 4 when training;
    checkpoints that saved it empty use model.num_heads)."""
    embeddings_init: str | None = None
    """A GloVe or word2vec text file (.txt, .vec, optionally .gz) to start the token embeddings from."""
    freeze_embeddings: bool = False
    """Keep the pretrained token embeddings fixed during training."""

    def needs_a_layer(self) -> bool:
        """Whether the positions (rope, relative, alibi) or the pooling (cls) need self-attention."""
        from attncli.model.registry import POOLING, POSITIONAL

        needs = POSITIONAL.get(self.positional), POOLING.get(self.pooling)
        return bool(needs[0] and needs[0].acts_in_attention) or bool(needs[1] and needs[1].uses_cls_token)

    def position_table_numbers(self) -> int | None:
        """How many numbers the position tables that grow with max_length hold (a sinusoidal or
        learned table, a rotary one in each layer); None where a size they need is not known yet."""
        if self.max_length is None or self.embed_dim is None:
            return None
        if self.positional in ("sinusoidal", "learned"):
            return self.max_length * self.embed_dim
        if self.positional == "segment":  # a table inside a segment, and a vector for each segment
            segments = -(-self.max_length // self.segment_length)
            return (self.segment_length + segments) * self.embed_dim
        if self.positional == "rope":  # a cosine and a sine table, each a head wide, in every layer
            layers = self.num_layers if self.num_layers is not None else 1  # rope's sized to 1 at least
            return 2 * max(1, layers) * self.max_length * (self.embed_dim // self.num_heads)
        return 0

    def __post_init__(self) -> None:
        typed_fields(self, "model")
        from attncli.signals import import_whole

        import_whole("torch")  # which the registry imports: a Ctrl-C in its import leaves it whole
        from attncli.model.registry import POOLING, POSITIONAL, SCORING

        for name in (
            "embed_dim",
            "num_heads",
            "ff_dim",
            "max_length",
            "max_relative_distance",
            "segment_length",
        ):
            value = getattr(self, name)
            require(value is None or value >= 1, f"model.{name} must be at least 1, not {value}")
        require(
            self.num_layers is None or self.num_layers >= 0,
            f"model.num_layers must be 0 or more, not {self.num_layers}",
        )
        for name in ("num_heads", "pooling_heads"):
            heads = getattr(self, name)
            require(heads is None or heads >= 1, f"model.{name} must be at least 1, not {heads}")
            # Without self-attention layers num_heads is unused: training sizes the pooling's heads
            # when they are not given (only checkpoints saved before that count them by num_heads,
            # and were checked when saved). With the layers left to sizing, it is checked once sized,
            # unless the positions or the pooling need a layer whatever the data. Pooling heads
            # beside mean, max or cls pooling are read by nothing (and warned of as unused).
            unused = (
                name == "num_heads"
                and (self.num_layers == 0 or (self.num_layers is None and not self.needs_a_layer()))
            ) or (name == "pooling_heads" and self.pooling != "attention")
            require(
                heads is None or self.embed_dim is None or unused or self.embed_dim % heads == 0,
                f"model.embed_dim ({self.embed_dim}) must be divisible by model.{name} ({heads})",
            )
        for name in ("dropout", "attention_dropout"):
            value = getattr(self, name)
            require(value is None or 0.0 <= value < 1.0, f"model.{name} must be in [0, 1), not {value}")
        require_choice("model.truncation", self.truncation, TRUNCATIONS)
        require_choice("model.positional", self.positional, tuple(POSITIONAL))
        require_choice("model.attention", self.attention, tuple(SCORING))
        if self.pooling_attention is not None:
            require_choice("model.pooling_attention", self.pooling_attention, tuple(SCORING))
        require_choice("model.attention_impl", self.attention_impl, ATTENTION_IMPLS)
        require(
            self.pooling not in OLD_POOLING_SCORINGS,
            f"model.pooling={self.pooling} is how attn 0.1 named the scoring of attention pooling, which is "
            "model.pooling_attention now: set model.pooling=attention and "
            f"model.pooling_attention={self.pooling}",
        )
        require_choice("model.pooling", self.pooling, tuple(POOLING))
        if self.num_layers == 0:
            require(
                not POSITIONAL[self.positional].acts_in_attention,
                f"model.positional={self.positional} acts inside self-attention, and model.num_layers=0 "
                "has none, so the model would be blind to order; use sinusoidal, learned or segment, "
                "or num_layers of 1 or more",
            )
            require(
                not POOLING[self.pooling].uses_cls_token,
                "model.pooling=cls with model.num_layers=0 would see only the classification token; "
                "use attention, mean or max pooling, or num_layers of 1 or more",
            )
        require(
            self.positional != "rope"
            or self.embed_dim is None
            or (self.embed_dim // self.num_heads) % 2 == 0,
            f"model.positional=rope rotates pairs of dimensions, so each head's width "
            f"({(self.embed_dim or 0) // self.num_heads}) must be even; change embed_dim or num_heads",
        )
        table = self.position_table_numbers()
        require(
            table is None or table <= MAX_POSITION_NUMBERS,
            f"model.max_length={self.max_length}"
            + (f", model.segment_length={self.segment_length}" if self.positional == "segment" else "")
            # The width too: an embed_dim of ten million was blamed on a max_length of 16 (a trial).
            + f" and model.embed_dim={self.embed_dim or 0:,} with {self.positional} positions build "
            f"tables of {table or 0:,} numbers, over the {MAX_POSITION_NUMBERS:,} attn allows; "
            + (
                "use a shorter segment_length (at most max_length) or max_length"
                if self.positional == "segment"
                else "use a shorter max_length"
            )
            + ", a smaller embed_dim, or model.positional=alibi, which keeps no table",
        )
        require_path_or_none(
            "model.embeddings_init", self.embeddings_init, "a GloVe or word2vec .txt/.vec file"
        )
        require(
            not self.freeze_embeddings or self.embeddings_init is not None,
            "model.freeze_embeddings keeps pretrained embeddings fixed; set model.embeddings_init too",
        )

    # The sized settings as the model reads them: the sized value, or UNSIZED_VALUES' where empty.
    @property
    def width(self) -> int:
        """embed_dim."""
        return sized(self.embed_dim, "model.embed_dim")

    @property
    def layers(self) -> int:
        """num_layers."""
        return sized(self.num_layers, "model.num_layers")

    @property
    def pooling_head_count(self) -> int:
        """Heads of attention pooling: pooling_heads, else (a checkpoint that saved it empty) one per
        attention head."""
        return self.pooling_heads or self.num_heads

    @property
    def dropout_rate(self) -> float:
        """dropout."""
        return sized(self.dropout, "model.dropout")

    @property
    def length(self) -> int:
        """max_length."""
        return sized(self.max_length, "model.max_length")
