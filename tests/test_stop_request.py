import pytest


def test_a_signal_the_user_ignored_stays_ignored_while_training():
    """A run started with SIGINT ignored (a background job of a script) is not stopped by Ctrl-C
    once training starts, as it was not while its data loaded; SIGTERM, not ignored, still stops it."""
    import signal

    from attncli.stop_request import StopRequest

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with StopRequest() as request:
            assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) == request._handle
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_closed_terminal_stops_training_after_the_step_as_sigterm_does():
    """SIGHUP (the terminal closed, ssh dropped) killed the run: its epoch lost, its lock left."""
    import os
    import signal

    from attncli.stop_request import StopRequest

    with StopRequest() as request:
        os.kill(os.getpid(), signal.SIGHUP)
        assert request.requested() == "SIGHUP"
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup attn train ...
    try:
        with StopRequest():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)


def test_a_process_whose_launcher_died_is_asked_to_stop(monkeypatch):
    """torchrun's processes run in sessions of their own: when the launcher is killed outright,
    they are handed to another parent, and stop after their step as on SIGTERM."""
    from attncli import stop_request

    parents = iter([100, 100, 1])
    monkeypatch.setattr(stop_request.os, "getppid", lambda: next(parents))
    with stop_request.StopRequest(watch_launcher=True) as request:
        assert request.requested() is None  # the launcher is still its parent
        assert request.requested() == "the launcher stopped"
    with stop_request.StopRequest() as alone:  # one process: its parent is the shell, not a launcher
        assert alone.launcher is None and alone.requested() is None


def test_a_stop_signal_in_the_middle_of_a_heavy_import_is_held_until_it_has_loaded(monkeypatch):
    """An ops trial: a SIGINT or SIGTERM about 0.45 s into `attn train`, as it imported torch (and
    numpy under it), was lost (the run trained to its end, exit 0) or left numpy half-imported (exit
    1 at the first save). Held, it comes once the import is whole: Ctrl-C raises after it, not in it."""
    import importlib
    import signal
    import sys
    import threading

    from attncli.signals import import_whole

    seen = []

    def slow_import(name):
        # Arrives in the middle of the import, at this thread: os.kill's signal is the process's, which
        # the kernel may hand to another thread of the test process (one an earlier test left), where
        # nothing holds it (1 run of the whole suite in 6 failed so).
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        seen.append((name, signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
        return None

    monkeypatch.setattr(importlib, "import_module", slow_import)
    monkeypatch.delitem(sys.modules, "heavy_module_of_the_test", raising=False)
    with pytest.raises(KeyboardInterrupt):
        import_whole("heavy_module_of_the_test")
        for _ in range(1000):  # the handler runs at the next bytecode once the signal is let through
            pass
    assert seen == [("heavy_module_of_the_test", True)]  # held through the whole import
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # and let through after it
    import_whole("sys")  # already loaded: nothing held, nothing imported again
    assert seen == [("heavy_module_of_the_test", True)]
