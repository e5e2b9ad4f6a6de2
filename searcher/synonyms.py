"""Synonyms: a file of equivalent words recorded with an index and applied to
queries, after analysis, so changing it needs no rebuild.

The format is Solr's and Elasticsearch's (``synonyms.txt``)::

    # comments and blank lines are ignored
    넷플릭스, Netflix, 넷플        equivalent: each finds the others
    허 => Her                      one-way: 허 also finds Her, Her does not find 허

Every entry is analysed with the index's analyzer, as queries are, so 넷플릭스에서
and 넷플릭스를 in a query expand as 넷플릭스 does. The word typed is always
searched as well (where Solr's ``=>`` replaces it). An entry of several words
(``디즈니 플러스``) matches a query holding them one after the other, and is
searched as a phrase; expanded words count as the word they stand for in
ranking and are marked in passages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple

from .errors import RevsearchError

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import Analyzer
    from .plan import Node

#: A word as analysed: its positions, each its alternative terms (see query._positions).
Words = tuple[tuple[str, ...], ...]


class SynonymError(RevsearchError):
    """A synonym file that cannot be read or holds a malformed line."""


class Rule(NamedTuple):
    """A line of the file: each of ``sources`` also finds each of ``targets``."""

    line: int
    sources: tuple[str, ...]
    targets: tuple[str, ...]


class Match(NamedTuple):
    """Query word groups ``start`` to ``end`` (one entry of a rule) and what they also find."""

    start: int
    end: int
    targets: tuple[Words, ...]
    shown: str  # e.g. "넷플릭스 → netflix | 넷플"


@dataclass
class Synonyms:
    """The rules of a synonym file, ``text`` as recorded, ``name`` the file it came from (for messages)."""

    text: str
    rules: tuple[Rule, ...]
    name: str = "synonyms"
    _compiled: dict[str, Expansions] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def read(cls, path: str | os.PathLike) -> Synonyms:
        """The synonyms in the file at ``path``; SynonymError naming the file (and line) if it cannot be used."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise SynonymError(f"cannot read the synonym file {path}: {getattr(e, 'strerror', None) or e}") from e
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, name: str = "synonyms") -> Synonyms:
        """The rules of ``text``; SynonymError naming ``name`` and the line of the first malformed one."""
        rules = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if line:
                rules.append(_rule(line, number, name))
        return cls(text, tuple(rules), name)

    def __len__(self) -> int:
        return len(self.rules)

    def compiled(self, analyzer: Analyzer) -> Expansions:
        """The rules with every entry analysed by ``analyzer`` (once per analyzer);
        SynonymError naming the line of an entry that holds no word to search for."""
        found = self._compiled.get(analyzer.user_dict)
        if found is None:
            found = self._compiled[analyzer.user_dict] = Expansions.of(self, analyzer)
        return found


def _rule(line: str, number: int, name: str) -> Rule:
    """The rule of one line (comment removed); SynonymError if it is malformed."""
    where = f"{name}, line {number}"
    hint = "write equivalent words as `넷플릭스, Netflix, 넷플` or a one-way rule as `허 => Her`"
    sides = line.split("=>")
    if len(sides) > 2:
        raise SynonymError(f"{where}: more than one '=>' in {line!r}; {hint}")
    parts = [[entry.strip() for entry in side.split(",")] for side in sides]
    for side, entries in zip((" left of '=>'" if len(sides) == 2 else "", " right of '=>'"), parts):
        if not any(entries):
            raise SynonymError(f"{where}: no word{side} in {line!r}; {hint}")
        if not all(entries):
            raise SynonymError(f"{where}: an empty entry between commas in {line!r}; {hint}")
    if len(sides) == 1:
        if len(parts[0]) < 2:
            raise SynonymError(f"{where}: {line!r} names one word, a synonym of nothing; {hint}")
        return Rule(number, tuple(parts[0]), tuple(parts[0]))
    return Rule(number, tuple(parts[0]), tuple(parts[1]))


@dataclass(frozen=True)
class Expansions:
    """Synonym rules over analysed words: what a query's word groups also find.

    ``by_first`` maps the first term of each source entry to the source's
    analysed words and their targets."""

    by_first: dict[str, tuple[tuple[Words, tuple[tuple[Words, str], ...], str], ...]]

    @classmethod
    def of(cls, synonyms: Synonyms, analyzer: Analyzer) -> Expansions:
        from .query import analysed_words

        entries = sorted({e for rule in synonyms.rules for e in (*rule.sources, *rule.targets)})
        words = dict(zip(entries, analysed_words(analyzer, entries)))
        for rule in synonyms.rules:
            for entry in (*rule.sources, *rule.targets):
                if not words[entry]:
                    raise SynonymError(
                        f"{synonyms.name}, line {rule.line}: {entry!r} holds no word the index searches for (particles, endings, "
                        "pronouns and symbols are not indexed); remove it or write the word itself"
                    )
        targets: dict[Words, dict[Words, str]] = {}
        for rule in synonyms.rules:
            for source in rule.sources:
                found = targets.setdefault(words[source], {})
                for target in rule.targets:
                    if words[target] != words[source]:
                        found.setdefault(words[target], target)
        by_first: dict[str, list] = {}
        for source, found in targets.items():
            if found:
                for term in source[0]:
                    by_first.setdefault(term, []).append((source, tuple(found.items()), _entry(source)))
        return cls({term: tuple(sorted(rules, key=lambda r: -len(r[0]))) for term, rules in by_first.items()})

    def matches(self, groups: list[list[str]]) -> list[Match]:
        """The query's word ``groups`` that an entry matches (terms at consecutive
        positions, each among a group's alternatives), left to right, the longest
        entry first, apart; each with what it also finds."""
        out: list[Match] = []
        start = 0
        while start < len(groups):
            best: tuple[int, dict[Words, str], list[str]] | None = None
            for term in groups[start]:
                for source, targets, shown in self.by_first.get(term, ()):
                    end = start + len(source)
                    if end > len(groups) or not all(set(alts) & set(g) for alts, g in zip(source, groups[start:end])):
                        continue
                    if best is None or end > best[0]:
                        best = (end, {}, [])
                    if end == best[0]:
                        best[1].update(targets)
                        best[2].append(shown)
            if best is None:
                start += 1
                continue
            end, targets, sources = best
            shown = f"{' | '.join(dict.fromkeys(sources))} → {' | '.join(_entry(t) for t in targets)}"
            out.append(Match(start, end, tuple(targets), shown))
            start = end
        return out


def _entry(words: Words) -> str:
    """Analysed words as shown in a plan: their first readings."""
    return " ".join(alts[0] for alts in words)


def widened(groups: list[list[str]], matches: list[Match]) -> list[list[str]]:
    """A text's word ``groups``, each span a match covers made one group: its
    terms and those of its targets (a word and its synonyms weigh as one in ranking)."""
    return _merged(groups, matches, lambda spanned, m: list(dict.fromkeys([*(t for g in spanned for t in g), *terms_of(m.targets)])))


def widened_clauses(clauses: list[Node], matches: list[Match], target: Callable[[Words], Node]) -> list[Node]:
    """The clauses of a text's word groups, each span a match covers made one
    clause: its own clauses (all of them) or any of its targets (``target``
    makes the node of one)."""
    from .plan import all_of, any_of

    return _merged(clauses, matches, lambda spanned, m: any_of([all_of(spanned), *map(target, m.targets)]))


def _merged(items: list, matches: list[Match], merge: Callable[[list, Match], object]) -> list:
    """``items`` (one per word group) with the items of each match's span merged into one."""
    out, at = [], 0
    for m in matches:
        out += items[at : m.start]
        out.append(merge(items[m.start : m.end], m))
        at = m.end
    return out + items[at:]


def terms_of(targets: tuple[Words, ...]) -> list[str]:
    """Every term of ``targets``."""
    return [t for words in targets for alts in words for t in alts]
