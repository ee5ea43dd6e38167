"""Ids as they arrive in URLs, filters and request bodies: whole numbers a BigAutoField can hold.

Anything else cannot name a row; refusing it early keeps SQLite from overflowing on 2**64 and keeps
2.9 or `true` from being read as the row with id 2 or 1.
"""

MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 < value <= MAX_ID
    return isinstance(value, str) and value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID
