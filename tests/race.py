"""Real races for the concurrency tests: each call in its own thread and database
connection, all released together by a barrier.

    results = at_once(functools.partial(reserve, listing), functools.partial(reserve, listing))
    outcomes(results) == Counter({"ok": 1, "StockChanged": 1})

    with held_in_another_transaction(lambda: lock_the_listing(listing)) as release:
        ...  # the listing stays locked here, until release() or the end of the block
"""

import threading
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connection, transaction


def at_once(*calls, timeout: float = 120) -> list:
    """Run each call in its own thread and connection, all released at the same moment.
    Returns what each call returned, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            connection.ensure_connection()  # connect first: the race starts at the barrier
            barrier.wait(timeout=timeout)
            results[index] = call()
        except Exception as error:  # the caller asserts on what each one got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a customer is still waiting"
    return results


def outcomes(results) -> Counter:
    return Counter("ok" if not isinstance(result, Exception) else type(result).__name__ for result in results)


@contextmanager
def held_in_another_transaction(take: Callable[[], object], *, timeout: float = 30):
    """Run `take` (it locks something) in a transaction of another thread and connection,
    and keep that transaction open — what `take` locked stays locked — until `release()`
    (what the block gets) is called or the block ends."""
    taken, released = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                take()
                taken.set()
                released.wait(timeout=timeout)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert taken.wait(timeout=10), "the other transaction never took its lock"
        yield released.set
    finally:
        released.set()
        thread.join(timeout=timeout)
