"""The demo portfolio `kam seed` adds on a first `make run`: a story, not random rows.

`scenario` says who the accounts are and what happened to them; the steps (`accounts`,
`offerings`, `health`, and whatever other modules of this package register with `@DEMO.step`)
tell it to the services through their own HTTP API (`wiring`). Each step adds only what is
missing, so running the demo again adds nothing.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from kam_cli.demo.registry import DEMO, Registry, load_steps
from kam_cli.demo.scenario import TOUR
from kam_cli.demo.wiring import Demo, DemoError, running_services

__all__ = ["DEMO", "Demo", "DemoError", "Registry", "seed_demo"]

# Apps whose own demo data (offerings' catalog) the story builds on, seeded first.
APP_SEEDS = ("offerings",)


def seed_demo(*, today: date | None = None, say: Callable[[str], None] = print) -> dict[str, int]:
    """Seed the demo portfolio (what is missing of it); return how many of each were added."""
    started = time.perf_counter()
    for app in APP_SEEDS:
        importlib.import_module(f"kam_{app}.cli").seed()
    load_steps()
    with running_services() as services:
        demo = Demo(services, today or datetime.now(UTC).date())
        for step in DEMO.ordered():
            began = time.perf_counter()
            note = step.run(demo)
            demo.settle()
            say(f"demo: {step.name}: {note or 'done'} ({time.perf_counter() - began:.1f} s)")
    added = {what: n for what, n in demo.added.items() if n}
    summary = ", ".join(f"{n} {what}" for what, n in added.items()) or "nothing to add"
    say(f"demo portfolio: {summary}; {time.perf_counter() - started:.1f} s")
    say("demo tour, accounts to open first (GET /api/v1/accounts/<id>/overview):")
    for story in TOUR:
        say(f"  {demo.account_ids[story.key]}  {story.name}: {story.tour}")
    return added
