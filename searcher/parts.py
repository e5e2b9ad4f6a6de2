"""Parts of words written together: 순 in 지능순, 향 in 무향, 맛집 in 뷰맛집, 후 in 전/후.

Kiwi indexes a compound written together as its parts as well as joined, so
a query for 향 finds 무향 (unscented) and one for 맛집 finds 뷰맛집 (a place
with a view): the same term, mostly in another sense. Ranking weighs such a
match less than a word standing on its own, and passages do not mark a
single syllable of a longer word alone. Only the original text is looked at,
so this costs no analysis.
"""

from __future__ import annotations

#: Written between two words, these join them into one (전/후, 한·일, A-B, 1~2).
JOINERS = frozenset("/·-~&+")


def is_part(text: str, start: int, query: str = "") -> bool:
    """Whether what starts at ``start`` of ``text`` is written against a letter
    or a joiner before it, so is only a part of a longer word there; unless
    ``query`` writes it joined the same way (the query 지능순 asks for 순 in
    지능순). A number before a word (2시간, 10분) does not make it a part."""
    if start <= 0:
        return False
    before = text[start - 1]
    if not (before.isalpha() or before in JOINERS):
        return False
    return not query or text[start - 1 : start + 1] not in query


def standalone_anywhere(text: str, term: str, query: str = "") -> bool | None:
    """Whether ``term`` occurs in ``text`` standing on its own at least once
    (see is_part): True, False if each occurrence is part of a longer word,
    None if it does not occur as written (a lemma such as 좋다 for 좋아요)."""
    at = text.find(term)
    if at < 0:
        return None
    while at >= 0:
        if not is_part(text, at, query):
            return True
        at = text.find(term, at + 1)
    return False
