"""The back office's bulk decisions: the same decision on each selected row, one by one
(each its own transaction and emails), counting what was done, what was already so,
and what someone else decided in the meantime (the service refused it)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Decided:
    done: int = 0
    already: int = 0
    refused: list[str] = field(default_factory=list)  # the services' messages, for the person


def decide_each(
    rows: Iterable,
    decide: Callable,
    *,
    refused: type[Exception] | tuple[type[Exception], ...],
    already: Callable[[object], bool] | None = None,
) -> Decided:
    """`decide(row)` for each row; rows for which `already(row)` holds are counted, not
    decided; a `refused` exception counts the row as refused with its message."""
    outcome = Decided()
    for row in rows:
        if already is not None and already(row):
            outcome.already += 1
            continue
        try:
            decide(row)
        except refused as error:
            outcome.refused.append(str(error))
        else:
            outcome.done += 1
    return outcome
