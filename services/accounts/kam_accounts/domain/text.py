"""Text folding for search that works the same in every script and on every database."""

from kam_common.text import search_fold


def fold(text: str) -> str:
    """The stored, searched form of a name (case, accents, Persian/Arabic letter variants and
    digits folded: `kam_common.text`); the name itself is kept as typed."""
    return search_fold(text)


def like_contains(text: str, escape: str = "\\") -> str:
    """A LIKE pattern matching `text` anywhere, with the wildcards in it taken literally."""
    escaped = (
        fold(text).replace(escape, escape * 2).replace("%", escape + "%").replace("_", escape + "_")
    )
    return f"%{escaped}%"
