"""Statuses and the named moves between them, declared once per model.

A model declares its machine next to its `Status` choices: each move has a name (what
the person does: "approve", "reinstate", "mark_ready"), the statuses it starts from,
the status it leads to and the label of its button. Services move an instance by name
(`StateMachine.move`), and the admin's buttons read the moves an instance allows from
the same table (`Move.allowed_from`, `moves_from`): "approve" and "reinstate" both lead
to approved, yet they are two moves, with their own sources and emails.

`move` is the one transition helper: on an instance its caller has locked (the caller
knows how: one row, or many in key order), it does nothing if the instance is there
already (a double click, a job run twice), refuses a move the table does not allow,
saves the status with `update_fields` and records the change in the model's history
(`record`). Effects after commit (emails) stay with the caller, which knows who to tell.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Move:
    name: str
    sources: frozenset[str]
    target: str
    label: Any = None  # a lazy translation: the button's text, for the moves that have one
    # A move someone asks for (a person, the API, a job), or one that only follows from
    # another change (an order whose last line the shop cannot serve is refused).
    asked: bool = True

    def __post_init__(self):
        object.__setattr__(self, "sources", frozenset(self.sources))

    def allowed_from(self, status: str) -> bool:
        return status in self.sources


class StateMachine:
    def __init__(self, *moves: Move, field: str = "status"):
        self.field = field
        self.moves = {move.name: move for move in moves}

    def __getitem__(self, name: str) -> Move:
        return self.moves[name]

    def moves_from(self, status: str) -> list[Move]:
        """The moves an instance in `status` allows, in declaration order (the buttons')."""
        return [move for move in self.moves.values() if move.allowed_from(status)]

    def targets_from(self, status: str) -> set[str]:
        return {move.target for move in self.moves_from(status)}

    def asked_targets(self, statuses: Iterable[str]) -> dict[str, set[str]]:
        """{status: statuses one can ask to move to from it}: the life of an instance as
        people and jobs see it (moves that only follow from another change left out)."""
        return {
            status: {move.target for move in self.moves_from(status) if move.asked} for status in statuses
        }

    def move(
        self,
        instance,
        name: str,
        *,
        refused: Callable[[Any, Move], Exception],
        record: Callable[[str], Any] | None = None,
        also_set: Callable[[Any], Iterable[str]] | None = None,
    ):
        """Move a locked `instance` by the move `name`. Returns the recorded change (what
        `record(previous_status)` returned, or True without `record`), or None when the
        instance was there already. `refused(instance, move)` builds the exception raised
        when the move is not allowed from the instance's status. `also_set(instance)` sets
        what this move changes besides the status (a reason, a deadline) once the move is
        allowed, and names those fields: they are saved in the same statement."""
        move = self.moves[name]
        current = getattr(instance, self.field)
        if current == move.target:
            return None
        if not move.allowed_from(current):
            raise refused(instance, move)
        setattr(instance, self.field, move.target)
        fields = [self.field, *(also_set(instance) if also_set is not None else ())]
        if any(field.name == "updated_at" for field in instance._meta.concrete_fields):
            fields.append("updated_at")
        instance.save(update_fields=fields)
        return record(current) if record is not None else True
