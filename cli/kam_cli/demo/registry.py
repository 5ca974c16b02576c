"""The demo's steps: small functions, each in the file of its area, run in dependency order.

A part of the product adds to the demo by dropping a module into this package with

    from kam_cli.demo import DEMO, Demo

    @DEMO.step("plays", after=("health",))
    def seed_plays(demo: Demo) -> str:
        ...
        return "3 plays"

Every module of the package is imported before the run, so nothing else needs editing. A step
is idempotent on its own: it looks, through the services' API, for what it would add and adds
only what is missing, so a second run (or a step added to an installation seeded long ago)
adds nothing twice.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kam_cli.demo.wiring import Demo

StepFunction = Callable[["Demo"], str | None]


@dataclass(frozen=True)
class Step:
    name: str
    run: StepFunction
    after: tuple[str, ...]


class Registry:
    def __init__(self) -> None:
        self._steps: dict[str, Step] = {}

    def step(
        self, name: str, *, after: Iterable[str] = ()
    ) -> Callable[[StepFunction], StepFunction]:
        """Register `function` as the step `name`, run after the steps named in `after`."""

        def register(function: StepFunction) -> StepFunction:
            if name in self._steps and self._steps[name].run is not function:
                raise ValueError(f"demo step {name!r} is registered twice")
            self._steps[name] = Step(name, function, tuple(after))
            return function

        return register

    def ordered(self) -> list[Step]:
        """Every step after the ones it names; ties in name order, so runs are repeatable."""
        for step in self._steps.values():
            unknown = [name for name in step.after if name not in self._steps]
            if unknown:
                raise ValueError(f"demo step {step.name!r} runs after unknown {unknown}")
        graph = TopologicalSorter({s.name: set(s.after) for s in self._steps.values()})
        try:
            graph.prepare()
        except CycleError as exc:
            raise ValueError(f"demo steps depend on each other in a loop: {exc.args[1]}") from exc
        order: list[Step] = []
        while graph.is_active():
            ready = sorted(graph.get_ready())
            order.extend(self._steps[name] for name in ready)
            graph.done(*ready)
        return order


DEMO = Registry()


def load_steps(package: str = "kam_cli.demo") -> None:
    """Import every module of the demo package, so each registers its steps."""
    root = importlib.import_module(package)
    for module in pkgutil.iter_modules(root.__path__):
        importlib.import_module(f"{package}.{module.name}")
