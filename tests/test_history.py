"""metrics.json's records: the processes behind a checkpoint's weights, read back from each epoch's."""

from attncli.history import EpochRecord, TrainingMetrics
from attncli.render.info import _processes_text


def _metrics(counts: list, best_epoch: int) -> TrainingMetrics:
    history = [
        EpochRecord(epoch, 1.0, 1.0, 0.5, 0.5, 1.0, 100.0, processes=count)
        for epoch, count in enumerate(counts, start=1)
    ]
    return TrainingMetrics(best_epoch=best_epoch, history=history)


def test_the_processes_of_the_epochs_up_to_the_best_one():
    # A --nproc 2 run resumed on one process: the best epoch's weights came from both.
    mixed = _metrics([2, 2, 1, 1], best_epoch=4)
    assert (mixed.epoch_processes, mixed.processes) == ([2, 2, 1, 1], None)
    assert mixed.to_json()["processes"] is None
    # ... its best epoch before the resume: two processes made it.
    assert _metrics([2, 2, 1, 1], best_epoch=2).processes == 2
    assert _metrics([1, 1], best_epoch=0).processes == 1  # no best epoch yet: every epoch
    # Not recorded (an earlier attn), or not a count (a hand-edited file): unknown, never a crash.
    for counts in ([0, 0], [2, "2"], [True, True], [2.0, 2.0]):
        assert _metrics(counts, best_epoch=2).processes is None
    round_trip = TrainingMetrics.from_json(_metrics([2, 1], best_epoch=2).to_json())
    assert round_trip.epoch_processes == [2, 1]


def test_info_says_which_processes_trained_which_epochs():
    assert _processes_text([1, 1]) is None and _processes_text(None) is None
    assert _processes_text([2, 2]) == "2 (rerun with --nproc 2)"
    assert _processes_text([2, 2, 1, 4]) == (
        "2 for epochs 1-2, 1 for epoch 3, 4 for epoch 4: a --resume changed them, so no one rerun repeats it"
    )


def test_a_best_epoch_is_left_unrefitted_only_where_its_accuracy_and_its_loss_show_nothing_learnt():
    """At chance by accuracy and macro-F1 (within a validation row), and a loss no better than
    answering the training labels' shares (ln 2 for two even labels): one row of 15 is 6.7 points, and
    a model a row above chance there may have learnt something, which its loss then shows."""
    from attncli.history import nothing_to_refit

    def best(accuracy, loss):
        return EpochRecord(3, 0.5, loss, accuracy, accuracy, 1.0, 100.0)

    assert nothing_to_refit([50, 50], 15, best(0.5, 0.70))
    assert nothing_to_refit([50, 50], 15, best(0.56, 0.69))  # 0.98 of ln 2 (0.679) or more
    assert not nothing_to_refit([50, 50], 15, best(0.56, 0.60))  # its probabilities learnt something
    assert not nothing_to_refit([50, 50], 15, best(0.7, 0.9))  # two rows above chance
    assert not nothing_to_refit([], 15, best(0.5, 0.7)) and not nothing_to_refit([50, 50], 0, best(0.5, 0.7))


def test_a_best_epoch_no_better_than_the_label_shares_in_loss_and_within_noise_learnt_nothing():
    """A researcher's negated sentences, best at 53.3% of 150 validation rows against 51.6% for the
    commonest label (1.5 rows above the old margin of one row), at a loss of 0.698 against 0.693 for
    answering the shares, got no warning, and went into a results table as attn's score. Within two
    standard errors of chance, a loss no better than the shares' is learning nothing; a better loss,
    or a score beyond the noise, is not."""
    from attncli.history import learnt_nothing, nothing_to_refit

    def best(accuracy, loss):
        return EpochRecord(1, 0.5, loss, accuracy, accuracy, 1.0, 100.0)

    shares = [516, 484]  # ln 2 less a little: 0.6929
    assert learnt_nothing(shares, 150, best(0.533, 0.6977))
    assert not learnt_nothing(shares, 150, best(0.533, 0.66))  # its probabilities learnt something
    assert not learnt_nothing(shares, 150, best(0.62, 0.70))  # 10 points above: beyond two errors (8.2)
    assert learnt_nothing(shares, 150, best(0.5, 0.60))  # within a row, whatever its loss
    # The refit is left out only at chance within a row, as before.
    assert not nothing_to_refit(shares, 150, best(0.533, 0.6977))
