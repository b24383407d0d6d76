"""Real races for the concurrency tests: each call in its own thread and database
connection, all released together by a barrier.

    results = at_once(functools.partial(reserve, listing), functools.partial(reserve, listing))
    outcomes(results) == Counter({"ok": 1, "StockChanged": 1})
"""

import threading
from collections import Counter

from django.db import connection


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
