import os
import random

import datasets
import pytest
import torch

from attncli.callers_state import _put_back_datasets_state, callers_state_kept


def test_the_block_leaves_random_states_and_datasets_settings_as_it_found_them():
    torch.manual_seed(7)
    random.seed(7)
    expected = (torch.rand(3).tolist(), random.random())
    torch.manual_seed(7)
    random.seed(7)
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    try:
        with callers_state_kept():
            torch.manual_seed(0)
            random.seed(0)
            torch.rand(5)
            datasets.enable_progress_bars()
            datasets.logging.set_verbosity_debug()
        assert (torch.rand(3).tolist(), random.random()) == expected
        assert datasets.logging.get_verbosity() == datasets.logging.ERROR
        assert not datasets.is_progress_bar_enabled()
    finally:
        datasets.enable_progress_bars()
        datasets.logging.set_verbosity_warning()


@pytest.mark.skipif(
    bool(os.environ.get("HF_DATASETS_DISABLE_PROGRESS_BARS") or os.environ.get("DATASETS_VERBOSITY")),
    reason="the environment sets datasets' defaults",
)
def test_datasets_first_imported_in_the_block_is_left_with_its_own_defaults():
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    _put_back_datasets_state(None)  # what the block does where datasets was not imported before it
    assert datasets.logging.get_verbosity() == datasets.logging.WARNING
    assert datasets.is_progress_bar_enabled()


def test_calls_that_overlap_in_threads_leave_datasets_settings_as_the_first_found_them():
    """Each call put back what it found: one that began while another had quieted datasets put the
    quiet back last, for the rest of the process (a service's threads evaluating at once)."""
    import threading

    from attncli.callers_state import datasets_state_kept

    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with datasets_state_kept():
            datasets.disable_progress_bars()
            datasets.logging.set_verbosity_error()  # as loading data does
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with datasets_state_kept():
            second_in.set()
            first_out.wait(5)

    datasets.enable_progress_bars()
    datasets.logging.set_verbosity_info()
    try:
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert first_out.is_set() and second_in.is_set()
        assert datasets.logging.get_verbosity() == datasets.logging.INFO
        assert datasets.is_progress_bar_enabled()
    finally:
        datasets.enable_progress_bars()
        datasets.logging.set_verbosity_warning()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_child_forked_during_a_call_starts_with_none_under_way():
    """The call does not go on in the child, so it would never end there: datasets' settings were
    never put back, and a lock it held would never be freed."""
    from attncli import callers_state

    with callers_state.datasets_state_kept():
        child = os.fork()
        if child == 0:  # pragma: no cover (the child's exit code is the test's)
            os._exit(
                0
                if callers_state.DATASETS_STATE.under_way == 0
                and not callers_state.DATASETS_STATE.lock.locked()
                else 1
            )
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_seeded_calls_in_threads_run_one_after_another():
    """Two trainings in threads at once drew from the process's one random generator in turn, so the
    seed no longer decided either model (a notebook user's thread pool): the second waits."""
    import threading
    import time

    from attncli.callers_state import keeps_callers_state

    happened: list[str] = []
    start = threading.Barrier(2)

    @keeps_callers_state
    def seeded(name: str) -> None:
        happened.append(f"{name} in")
        torch.manual_seed(0)
        time.sleep(0.05)  # the other thread, started with it, would come in meanwhile
        happened.append(f"{name} out")

    def run(name: str) -> None:
        start.wait()
        seeded(name)

    threads = [threading.Thread(target=run, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert happened in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"]), happened


def test_a_seeded_call_inside_another_in_its_thread_goes_on_and_a_fork_inside_one_leaves_it():
    """A reporter's callback that trains took the lock its own thread held, and hung forever (a
    review); a child forked inside the block releases the lock it took, not the fresh one."""
    from attncli.callers_state import keeps_callers_state

    @keeps_callers_state
    def inner() -> str:
        return "inner"

    @keeps_callers_state
    def outer() -> str:
        return inner()

    assert outer() == "inner"
    if not hasattr(os, "fork"):
        return

    @keeps_callers_state
    def forking() -> int:
        child = os.fork()
        if child == 0:  # the child leaves the block, releasing what it took, then calls again
            try:
                inner()
            finally:
                os._exit(0)
        return os.waitpid(child, 0)[1]

    assert forking() == 0
