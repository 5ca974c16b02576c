"""Folding text for search, the same on every database: what people type interchangeably
matches.

- Case and compatibility forms: "ＡＢＣ", "abc" and "ABC" fold alike; "Straße" finds "STRASSE".
- Accents and other combining marks: "cafe" finds "Café" (and Arabic short vowels, which few
  type, drop out the same way).
- Persian and Arabic letters typed on each other's keyboards: Arabic yeh and alef maksura
  (ي ى) fold to Persian yeh (ی), Arabic kaf (ك) to keheh (ک), teh marbuta (ة) and heh with
  yeh above (ۀ) to heh (ه); hamza-carrying alefs (أ إ آ) to alef; tatweel (ـ, a stretch) and
  the zero-width non-joiner (a Persian spacing choice) disappear.
- Digits: Persian (۰–۹) and Arabic-Indic (٠–٩) digits fold to 0–9.

Stored names are never changed: the folded form is a column of its own, kept by the use case
that writes the name, and a query is folded the same way before it is compared.
"""

from __future__ import annotations

import unicodedata

_LETTERS = {
    "\u064a": "\u06cc",  # ي Arabic yeh → ی Persian yeh
    "\u0649": "\u06cc",  # ى alef maksura → ی
    "\u0643": "\u06a9",  # ك Arabic kaf → ک keheh
    "\u0629": "\u0647",  # ة teh marbuta → ه heh
    "\u06c0": "\u0647",  # ۀ heh with yeh above → ه (also reached by decomposition)
    "\u06c1": "\u0647",  # ہ heh goal → ه
    "\u0640": None,  # ـ tatweel
    "\u200c": None,  # zero-width non-joiner
    "\u200d": None,  # zero-width joiner
}
_DIGITS = {0x06F0 + n: str(n) for n in range(10)} | {0x0660 + n: str(n) for n in range(10)}
_TABLE = str.maketrans({**{ord(k): v for k, v in _LETTERS.items()}, **_DIGITS})


def search_fold(text: str) -> str:
    """The form of `text` that search compares: see the module's description."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TABLE))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare).casefold().translate(_TABLE)
