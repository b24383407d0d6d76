"""Pickup codes: what the customer shows at the counter.

Eight characters of the order references' alphabet (no 0/O, 1/I/L, 5/S, 2/Z, 8/B:
read aloud and typed on a phone without mistakes), shown in two groups of four.
25⁸ ≈ 1.5 × 10¹¹ codes per shop, and the counter page stops anyone after a few wrong
tries: not guessable. A code is only looked up within the shop of the person typing it.
"""

import re
import secrets

from orders.models import REFERENCE_ALPHABET

PICKUP_CODE_LENGTH = 8
_NOT_IN_CODE = re.compile(f"[^{REFERENCE_ALPHABET}]")


def new_pickup_code() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


def normalize_pickup_code(typed: str) -> str:
    """The code as stored, from what someone typed: case, spaces and dashes do not matter
    (anything outside the alphabet is dropped, which leaves a wrong code too short)."""
    return _NOT_IN_CODE.sub("", typed.upper())


def characters_never_in_pickup_codes(typed: str) -> list[str]:
    """The letters and digits of `typed` that no code uses (O, 0, I, 1…), in capitals,
    each once, in the order typed: a misread code, to be told apart from a mistyped one."""
    return list(
        dict.fromkeys(char for char in typed.upper() if char.isalnum() and char not in REFERENCE_ALPHABET)
    )


def format_pickup_code(code: str) -> str:
    """ "ACDE-FGHJ": two groups of four, easier to read out and to compare."""
    return f"{code[:4]}-{code[4:]}" if len(code) == PICKUP_CODE_LENGTH else code
