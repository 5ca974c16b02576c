import logging

import pytest

from kam_cli.worker import Job, Worker


def test_a_job_that_did_something_says_so_and_an_idle_one_stays_quiet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    busy = Job(every=60, name="rescore", run=lambda: "3 accounts rescored")
    idle = Job(every=60, name="rescore-queue", run=lambda: None)
    caplog.set_level(logging.INFO, logger="kam.worker")

    Worker([], [busy, idle]).tick()

    said = [record.getMessage() for record in caplog.records]
    assert len(said) == 1
    assert said[0].startswith("job rescore done in ") and said[0].endswith("3 accounts rescored")


def test_a_job_runs_again_only_when_it_is_due() -> None:
    runs = []
    job = Job(every=3600, name="hourly", run=lambda: runs.append(1) or None)
    worker = Worker([], [job])

    worker.tick()
    worker.tick()

    assert runs == [1]
