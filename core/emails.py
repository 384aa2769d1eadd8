"""One normal form for email addresses, used everywhere an address is stored, looked up or counted.

NFKC folds compatibility characters (U+017F LONG S is ``s``, fullwidth letters are ASCII), casefold folds
case beyond ``lower()`` (``ß`` is ``ss``); NFKC again because casefolding can leave a non-NFKC string.
Pure: the data migration uses it too.
"""

import unicodedata


def normalize_email(address: str) -> str:
    folded = unicodedata.normalize("NFKC", address.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)
