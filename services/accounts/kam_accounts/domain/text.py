"""Text folding for search that works the same in every script and on every database."""

import unicodedata


def fold(text: str) -> str:
    """Compatibility-normalise and case-fold: "ＡＢＣ", "abc" and "ABC" all fold to "abc".

    Scripts without case (Persian, Arabic, CJK) pass through unchanged, so a substring of the
    name as typed is found either way.
    """
    return unicodedata.normalize("NFKC", text).casefold()


def like_contains(text: str, escape: str = "\\") -> str:
    """A LIKE pattern matching `text` anywhere, with the wildcards in it taken literally."""
    escaped = (
        fold(text).replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")
    )
    return f"%{escaped}%"
