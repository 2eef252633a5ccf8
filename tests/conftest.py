"""Shared fixtures: small, easy, seeded datasets written into temporary folders, and one trained
checkpoint reused by the tests that only read it. Nothing here touches the network."""

from __future__ import annotations

import os
import random
import signal
import sys
import tempfile
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
# datasets caches every file it reads as Arrow; keep the tests' caches out of the user's, in a folder
# removed when the suite ends (left behind, each run piled up 7 MB in TMPDIR).
if "HF_DATASETS_CACHE" not in os.environ:
    _TESTS_CACHE = tempfile.TemporaryDirectory(prefix="attn-tests-hf-", ignore_cleanup_errors=True)
    os.environ["HF_DATASETS_CACHE"] = _TESTS_CACHE.name
# The tests read commands' output as a pipe gives it: a width the shell exported (COLUMNS) would
# wrap it, as attn then does for the user who asked for it.
os.environ.pop("COLUMNS", None)
# A suite started with SIGINT, SIGQUIT or SIGHUP ignored (a background job of a script, nohup) would pass that
# on to every run it starts, and attn keeps a signal ignored at launch ignored: the tests that stop a
# run with SIGINT would find it carrying on. Exec resets a handler, not an ignore, so this reaches the
# real processes the tests start too.
for _signal in (signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
    if signal.getsignal(_signal) == signal.SIG_IGN:
        signal.signal(_signal, signal.default_int_handler if _signal == signal.SIGINT else signal.SIG_DFL)
# The scripts are not a package; tests/scripts imports them from their folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

# The test files that take longest (each a minute or more of the suite's time on 2 cores), run first:
# pytest-xdist hands whole files to its workers in collection order (--dist loadfile), and one of
# them begun last kept the other worker idle for most of a minute.
SLOWEST_FIRST = ("test_cli.py", "test_distributed.py", "test_cli_inprocess.py", "test_train.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOWEST_FIRST.index(name) if name in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: each file's tests, and the other files, keep their order


KEYWORDS = {
    "food": ["pasta", "bread", "cheese", "soup", "salad"],
    "sport": ["football", "tennis", "goal", "match", "coach"],
    "tech": ["software", "laptop", "chip", "robot", "internet"],
}
FILLER = "the a of and to in was is it on with for this that today people said very".split()
# A small, fast model: the tests check behaviour, not state-of-the-art accuracy.
TINY_MODEL = [
    # Every sized setting of the model and tokenizer given: these tests are about other things than
    # the sizing rule. train.epochs and train.patience are given by each test that trains;
    # train.adversarial sizes to 0 with this model's self-attention block. No refit after early
    # stopping (tests/test_refit.py tests it): best/ is the best epoch's model.
    "tokenizer.kind=wordpiece",
    "tokenizer.min_frequency=2",
    "model.num_layers=1",
    "model.dropout=0.1",
    "model.pooling_heads=2",
    "model.embed_dim=32",
    "model.num_heads=2",
    "model.ff_dim=64",
    "model.max_length=32",
    "tokenizer.vocab_size=300",
    "train.lr=0.005",
    "train.refit_epochs=0",
    "train.batch_size=16",
    "train.precision=fp32",  # the same numbers on every CPU (auto picks bf16 where it is native)
]


def make_rows(
    count: int, *, seed: int = 0, labels: tuple[str, ...] = tuple(KEYWORDS)
) -> list[dict[str, str]]:
    """Texts of filler words with two keywords of their label: easy for any attention model."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        label = labels[index % len(labels)]
        words = [rng.choice(FILLER) for _ in range(rng.randint(5, 12))]
        for keyword in rng.sample(KEYWORDS[label], 2):
            words.insert(rng.randrange(len(words) + 1), keyword)
        rows.append({"text": " ".join(words).capitalize() + ".", "label": label})
    return rows


def write_csv(
    path: Path, rows: list[dict[str, str]], *, text_column: str = "text", label_column: str = "label"
):
    import csv

    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([text_column, label_column])
        for row in rows:
            writer.writerow([row["text"], row["label"]])
    return path


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    import json

    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def easy_folder(tmp_path_factory) -> Path:
    """A folder of split files: train.csv (300 rows) and test.csv (90 rows)."""
    folder = tmp_path_factory.mktemp("easy")
    write_csv(folder / "train.csv", make_rows(300, seed=1))
    write_csv(folder / "test.csv", make_rows(90, seed=2))
    return folder


@pytest.fixture(scope="session")
def trained(easy_folder, tmp_path_factory):
    """One checkpoint trained (in-process) on the easy folder, for tests that only read it."""
    from attncli.config_loading import load_config
    from attncli.train import train

    output = tmp_path_factory.mktemp("runs") / "easy"
    # Every epoch (no early stop), so that train --resume with one more epoch has work to do.
    settings = [*TINY_MODEL, f"data.source={easy_folder}", "train.epochs=8", "train.patience=0"]
    config = load_config(None, settings)
    result = train(config, output=output)
    return result


def save_untrained_checkpoint(
    path: Path, data: dict | None = None, metrics: dict | None = None, **model_settings
) -> Path:
    """A checkpoint of a freshly initialised model (seed 0) with a word tokenizer fitted on easy
    rows: quick to make, for tests of loading, inspecting and shapes rather than accuracy; `data`:
    the data settings it records as trained on; `metrics`: its metrics.json."""
    import torch

    from attncli.checkpoint_saving import save_checkpoint
    from attncli.config import Config, DataConfig, TokenizerConfig
    from attncli.model import build_model
    from attncli.model_config import ModelConfig
    from attncli.tokenizer import pad_id_of, train_tokenizer

    texts = [row["text"] for row in make_rows(60)]
    tokenizer = train_tokenizer(texts, TokenizerConfig(kind="word", vocab_size=100, min_frequency=1))
    settings = {"embed_dim": 16, "num_heads": 2, "ff_dim": 32, "max_length": 32, **model_settings}
    config = Config(model=ModelConfig(**settings), data=DataConfig(**(data or {})))
    torch.manual_seed(0)
    model = build_model(
        config.model,
        vocab_size=tokenizer.get_vocab_size(with_added_tokens=True),
        num_labels=3,
        pad_id=pad_id_of(tokenizer),
    )
    save_checkpoint(
        path, model=model.eval(), tokenizer=tokenizer, config=config,
        label_names=list(KEYWORDS), metrics=metrics or {},
    )  # fmt: skip
    return path


class StageRecorder:
    """A training reporter that keeps the lines a run says (its stages) and ignores the rest."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def stage(self, message: str) -> None:
        self.lines.append(message)

    refit_epoch_end = stage

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None


def deny_listing(monkeypatch, module, folder_name: str) -> None:
    """`module.visible_children` refusing to list the folder named `folder_name`, as `chmod 000` leaves
    it to a user who is not root (these tests may run as root, whom it does not stop)."""
    listed = module.visible_children

    def refusing(folder):
        if folder.name == folder_name:
            raise PermissionError(13, "Permission denied", str(folder))
        return listed(folder)

    monkeypatch.setattr(module, "visible_children", refusing)
