"""Goal 4: deleting a key that alone owns 10,000 resources, transferring them or deleting
them with their dependents: time (commit included) and the number of SQL statements, which
must be the same for 10 resources as for 10,000."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from bench.data import World, add_key, give_resources
from keyhouse.api_keys import service
from keyhouse.core.db import Database


@dataclass
class Deletion:
    resources: int  # solely owned
    mode: str  # transfer | delete
    ms: list[float] = field(default_factory=list)
    statements: int = 0
    transferred: int = 0
    deleted: int = 0

    @property
    def median_ms(self) -> float:
        values = sorted(self.ms)
        return values[len(values) // 2]


def measure(
    db: Database, world: World, *, sizes: tuple[int, ...], repeats: int, seed: int = 21
) -> list[Deletion]:
    rng = random.Random(seed)
    recipient = next(p for p in world.people if p.role == "editor")
    results = []
    for size in sizes:
        for mode in ("transfer", "delete"):
            result = Deletion(size, mode)
            for _ in range(repeats):
                key_id, _ = add_key(db, world, rng, f"deletion {size} {mode} {rng.random():.12f}")
                give_resources(db, world, key_id, size, seed=rng.randrange(1 << 30))
                statements: list[str] = []

                def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                    statements.append(statement)  # noqa: B023 - reset every repetition

                event.listen(db.engine, "before_cursor_execute", count)
                started = time.perf_counter()
                try:
                    with db.transaction(write=True) as session:
                        outcome = service.delete_key(
                            session,
                            world.org_id,
                            key_id,
                            transfer_to=recipient.member_id if mode == "transfer" else None,
                            delete_resources=mode == "delete",
                            actor=None,
                            client=None,
                        )
                finally:
                    elapsed = time.perf_counter() - started
                    event.remove(db.engine, "before_cursor_execute", count)
                result.ms.append(elapsed * 1e3)
                result.statements = len(statements)
                result.transferred = len(outcome.transferred)
                result.deleted = len(outcome.deleted)
            results.append(result)
    return results
