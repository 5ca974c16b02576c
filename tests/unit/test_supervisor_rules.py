import signal

import pytest

from kam_cli.supervisor import (
    FIRST_DELAY_S,
    MAX_DELAY_S,
    STEADY_S,
    ProcfileError,
    describe_exit,
    next_delay,
    parse_procfile,
)


def test_a_procfile_is_read_in_order_without_comments_or_blank_lines() -> None:
    text = "# the apps\nweb: exec gunicorn app:app --bind :${PORT:-8080}\n\nworker:kam worker\n"

    assert parse_procfile(text) == [
        ("web", "exec gunicorn app:app --bind :${PORT:-8080}"),
        ("worker", "kam worker"),
    ]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("web exec gunicorn", "line 1: expected `name: command`"),
        ("web: a\nweb: b", "line 2: 'web' is defined twice"),
        ("# nothing\n", "no processes defined"),
    ],
)
def test_a_bad_procfile_is_refused_with_the_line(text: str, said: str) -> None:
    with pytest.raises(ProcfileError, match=said.replace("`", ".")):
        parse_procfile(text)


def test_restarts_back_off_while_a_process_keeps_failing_and_start_over_once_it_held() -> None:
    delays = []
    delay = None
    for _ in range(7):
        delay = next_delay(delay, uptime=0.5)
        delays.append(delay)

    assert delays == [1, 2, 4, 8, 16, MAX_DELAY_S, MAX_DELAY_S]
    assert next_delay(MAX_DELAY_S, uptime=STEADY_S) == FIRST_DELAY_S


def test_an_exit_is_described_by_its_code_or_its_signal() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"


def test_the_stop_handler_takes_no_lock_the_interrupted_code_may_hold() -> None:
    """A signal handler runs between two bytecodes of the main thread, even inside a lock it
    holds (or inside the handler itself, when a second signal follows): it must not wait for
    any lock, or `kam run` hangs with every service still running."""
    import io
    import threading

    from kam_cli.supervisor import Supervisor

    supervisor = Supervisor([("web", "true")], env={}, out=io.StringIO())
    locks = []
    for value in vars(supervisor).values():
        if isinstance(value, threading.Event):
            locks.append(value._cond)  # what Event.set and Event.wait hold for a moment
        elif hasattr(value, "acquire") and hasattr(value, "release"):
            locks.append(value)
    for lock in locks:
        lock.acquire()
    try:
        handler = threading.Thread(target=supervisor.request_stop, daemon=True)
        handler.start()
        handler.join(2)
        assert not handler.is_alive(), "the stop handler waited for a lock"
    finally:
        for lock in locks:
            lock.release()
