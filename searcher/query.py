"""The query language: parse a user's query string into revsearch's plan (see :mod:`searcher.plan`).

Syntax: plain words, ``"phrases"``, ``AND`` / ``OR`` / ``NOT``, ``-word``,
``+word``, parentheses, ``field:value`` / ``field:"phrase"`` for title, body,
keywords, category, author, item, id and source, and ranges ``date:[2025-03-01
TO 2025-04-30]``, ``rating:[8 TO 10]`` (either end may be empty or ``*``;
``date:2025-04`` is a month). A query may be only filters; ``*`` alone is
every review.

Adjacent plain words form one *text run* that is analysed as a whole, so Kiwi
sees them in context. Words that are only put side by side are soft: a review
with all of them ranks first (``strict``), one with some of them follows
(``loose``). ``AND``, ``+`` and ``NOT`` are hard in both.

A query may hold at most MAX_QUERY_CHARS characters, MAX_QUERY_WORDS words
and operators and MAX_QUERY_DEPTH nested parentheses: more is refused before
anything is analysed, and what is allowed costs time in proportion to its size.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Iterator

from . import plan as p
from .analysis import DEFAULT, WEAK, WEAK_PART, Analyzer, Term
from .dates import PERIOD_FORMS, parse_period, period_end
from .errors import QueryError
from .jamo import is_syllable
from .particles import without_particle
from .schema import EXACT_FIELDS, RANGE_FIELDS, TEXT_FIELDS, exact_value
from .settings import SearchSettings
from .synonyms import Expansions, Synonyms, widened, widened_clauses

#: The fields a query may name, in the order messages list them.
FIELD_NAMES = (*TEXT_FIELDS, *EXACT_FIELDS, *RANGE_FIELDS)
FIELDS = frozenset(FIELD_NAMES)
#: Words that ask for something rather than say it (이름 in "감독 이름", 언제,
#: 몇): they count in the score but are not required of the reviews that rank
#: first for holding every word of a query.
OPTIONAL_TERMS = frozenset(
    "이름 누구 무엇 언제 어디 몇 얼마 왜 어떻게 무슨 어느 날짜 연도 해 곳 사람 인물 시기 장소 때".split()
)
#: The most a query may hold. A pasted paragraph of a review fits (some 400
#: words in 2,000 characters); a longer text costs Kiwi and the evaluation
#: seconds, and deeper nesting is no query a person writes.
MAX_QUERY_CHARS = 2000
MAX_QUERY_WORDS = 500  # words, phrases, field filters and operators
MAX_QUERY_DEPTH = 32  # parentheses inside parentheses
#: The query that matches every review (a query of only filters needs no word either: ``item:10002``).
EVERY = "*"


# ---------------------------------------------------------------- syntax tree


@dataclass
class Text:
    """Words analysed together; ``phrase`` requires them adjacent and in order."""

    text: str
    field: str | None = None
    phrase: bool = False


@dataclass
class Exact:
    field: str
    value: str


@dataclass
class Range:
    field: str
    start: str | float | None
    end: str | float | None
    start_excl: bool = False
    end_excl: bool = False


@dataclass
class Not:
    child: object


@dataclass
class Group:
    """Children joined by AND (hard) or by juxtaposition (soft), or by OR."""

    op: str  # "and", "soft", "or"
    children: list = field(default_factory=list)


# -------------------------------------------------------------------- lexing

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<signs>[-+]+)(?=[A-Za-z_]+:[\[{"]|")
  | (?P<fieldrange>(?P<rfield>[A-Za-z_]+):(?P<open>[\[{])(?P<range>[^\]}]*)(?P<close>[\]}]?))
  | (?P<fieldphrase>(?P<pfield>[A-Za-z_]+):"(?P<pvalue>[^"]*)"?)
  | (?P<fieldword>(?P<wfield>[A-Za-z_]+):(?P<wvalue>[^\s()"]*))
  | (?P<phrase>"(?P<text>[^"]*)"?)
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)

_OPERATORS = {"AND": "and", "OR": "or", "NOT": "not", "&&": "and", "||": "or"}
_PREFIXES = {"-": "not", "+": "plus"}


#: A word that asks for a wildcard: ``외로*``, ``*로움``, ``외*움``, ``*``, ``*외로*`` (not ``**강조**``, Markdown in pasted text).
_WILDCARD = re.compile(r"[^*]*\*[^*]*|\*[^*]+\*")


def _lex(qs: str) -> list[tuple[str, object]]:
    """Tokens as (kind, value). QueryError for an unknown ``field:`` (see
    _unknown_field) or a wildcard; a ``word:`` with nothing after it, a URL,
    a time (10:30) and a colon after Korean text stay plain words."""
    out: list[tuple[str, object]] = []
    for m in _TOKEN.finditer(qs):
        kind = m.lastgroup
        if kind == "ws":
            continue
        text = m.group("pvalue") or m.group("wvalue") or m.group("text") or (m.group(0) if kind == "word" else "")
        if any(_WILDCARD.fullmatch(w) for w in text.split()):
            raise QueryError(
                f"wildcards (*) are not supported: {m.group(0)}; words match in all their forms "
                "(외로움 finds 외로운, 외로웠다), so search for the whole word"
            )
        if kind in ("fieldrange", "fieldphrase", "fieldword"):
            name = (m.group("rfield") or m.group("pfield") or m.group("wfield")).lower()
            if name not in FIELDS:
                if kind != "fieldword" or _unknown_field(m.group("wvalue")):
                    raise QueryError(
                        f"unknown field {name!r} in {m.group(0)}; fields: {', '.join(FIELD_NAMES)}; "
                        f'to search for it as text, put it in quotes: "{m.group(0).replace(chr(34), "")}"'
                    )
                out.extend(("word", w) for w in m.group(0).split())
                continue
            if kind == "fieldrange":
                out.append(("range", (name, m.group("open"), m.group("range"), m.group("close"))))
            elif kind == "fieldphrase":
                out.append(("field", (name, m.group("pvalue"), True)))
            else:
                out.append(("field", (name, m.group("wvalue"), False)))
        elif kind == "signs":  # before a range or a phrase, which hold spaces: -rating:[9 TO 10], -"배우 연기"
            out.extend((_PREFIXES[sign], sign) for sign in m.group(0))
        elif kind == "phrase":
            out.append(("phrase", m.group("text")))
        elif kind == "word":
            word = m.group(0)
            if word in _OPERATORS:
                out.append((_OPERATORS[word], word))
            elif len(word) > 1 and word[0] in _PREFIXES:
                signs = 0
                while len(word) - signs > 1 and word[signs] in _PREFIXES:  # -+-word: a loop, not a recursion
                    out.append((_PREFIXES[word[signs]], word[signs]))
                    signs += 1
                out.extend(_lex(word[signs:]))
            else:
                out.append(("word", word))
        else:
            out.append((kind, m.group(0)))
    return out


def _unknown_field(value: str) -> bool:
    """Whether ``name:value``, its name no field, was meant as a field: it was,
    unless the value is empty (``ps:`` before a space) or starts with ``/`` (a
    URL, ``http://…``). Names are ASCII letters, so ``10:30`` and ``사만다:``
    are text anyway."""
    return bool(value) and not value.startswith("/")


# ------------------------------------------------------------------- parsing


class _Parser:
    """Recursive descent over the tokens; forgiving where a user would be."""

    def __init__(self, tokens: list[tuple[str, object]]):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, object]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self):
        parts = [self.parse_or()]
        while self.peek() == "rparen":  # a stray ')' is ignored
            self.take()
            parts.append(self.parse_or())
        return _join("soft", parts)

    def parse_or(self):
        children = [self.parse_and()]
        while self.peek() == "or":
            self.take()
            children.append(self.parse_and())
        return _join("or", children)

    def parse_and(self):
        hard, soft, words = [], [], []

        def flush_words():
            if words:
                soft.append(Text(" ".join(words)))
                words.clear()

        required = False
        while self.peek() not in (None, "or", "rparen"):
            kind = self.peek()
            if kind == "and":
                self.take()
                flush_words()
                required = True
                if soft:  # the left operand of AND is required as well
                    hard.append(soft.pop())
                continue
            if kind == "plus":
                self.take()
                flush_words()
                required = True
                continue
            if kind == "word" and not required:
                words.append(self.take()[1])
                continue
            flush_words()
            node = self.parse_unary()
            if node is None:
                continue
            # NOT and field filters (author:, date:, …) constrain; they do not rank.
            (hard if required or isinstance(node, (Not, Exact, Range)) else soft).append(node)
            required = False
        flush_words()
        children = hard + ([_join("soft", soft)] if soft else [])
        return _join("and", [c for c in children if c is not None])

    def parse_unary(self):
        """A primary after any number of NOTs, read in a loop: an odd number
        is one NOT, an even number two (what they negate, as a filter)."""
        nots = 0
        while self.peek() == "not":
            self.take()
            nots += 1
        if self.peek() is None:
            return None
        node = self.parse_primary()
        if node is None or not nots:
            return node
        return Not(node) if nots % 2 else Not(Not(node))

    def parse_primary(self):
        kind, value = self.take()
        if kind == "lparen":
            node = self.parse_or()
            if self.peek() == "rparen":
                self.take()
            return node
        if kind == "word":
            return Text(value)
        if kind == "phrase":
            return Text(value, phrase=True) if value.strip() else None
        if kind == "field":
            name, text, quoted = value
            return _field_node(name, text, quoted)
        if kind == "range":
            return _range_node(*value)
        return None  # a lone ')' or an operator with nothing after it


def _join(op: str, children: list):
    children = [c for c in children if c is not None]
    if not children:
        return None
    if len(children) == 1:
        return children[0]
    return Group(op, children)


def _field_node(name: str, text: str, quoted: bool):
    if not text.strip():
        raise QueryError(f"'{name}:' needs a value, e.g. {name}:외로움")
    if name in TEXT_FIELDS:
        return Text(text, field=name, phrase=quoted)
    if name in RANGE_FIELDS:
        value = _bound(name, text, f"{name}:{text}")
        # one day is an exact term; a year, a month or a rating is a range over it
        return Exact(name, value) if name == "date" and len(value) == 10 else Range(name, value, _upper(value))
    return Exact(name, text)


def _bound(name: str, text: str, what: str) -> str | float:
    """One end of a range: a day, a month or a year for date (see
    dates.parse_period); a number for rating."""
    text = text.strip()
    if name == "rating":
        try:
            return float(text)
        except ValueError:
            raise QueryError(f"cannot read the number {text!r} in {what}") from None
    return _period(text, f"cannot read the date {text!r} in {what}")


def _period(text: str, failure: str) -> str:
    """A day, a month or a year as ISO text (see dates.parse_period); QueryError saying ``failure`` if it is none."""
    period = parse_period(text)
    if period is None:
        raise QueryError(f"{failure}; write it as {PERIOD_FORMS}")
    return period


def _upper(value: str | float) -> str | float:
    """A bound as the upper end of a range: a year or month includes all its days."""
    return period_end(value) if isinstance(value, str) else value


def _range_node(name: str, opening: str, inner: str, closing: str):
    what = f"{name}:{opening}{inner}{closing}"
    if name not in RANGE_FIELDS:
        raise QueryError(f"ranges work on {' and '.join(RANGE_FIELDS)}, not on {name!r}: {what}")
    if not closing:
        raise QueryError(f"the range {what} is not closed with ']'")
    parts = re.split(r"\s+TO\s+|\s+to\s+|\s*~\s*", f" {inner.strip()} ")
    if len(parts) != 2:
        raise QueryError(f"write a range as {name}:[LOW TO HIGH], not {what}")
    low, high = (None if p.strip() in ("", "*") else _bound(name, p, what) for p in parts)
    return Range(name, low, _upper(high) if high is not None else None, opening == "{", closing == "}")


# ----------------------------------------------------------------- planning


@dataclass
class QueryPlan:
    """The plans of a query string, and what re-ranking and highlighting need of it.

    ``strict`` requires every soft word; ``loose`` only some. ``terms`` maps a
    field (None for any free-text field) to the analysed terms asked for there.
    ``words`` are the query's distinct positive words that carry meaning (not
    the optional asking words), each as its fields and its alternative terms:
    what a review's coverage of the query is measured by. ``text`` is the
    positive free text as typed, without operators or field names; ``said``
    each text of the query with its analysed terms (what spelling checks, see typos).
    """

    strict: p.Node
    loose: p.Node
    terms: dict[str | None, set[str]] = field(default_factory=dict)
    words: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    text: str = ""
    #: The synonyms the query's words were expanded with, each as ``word → synonym | synonym``.
    synonyms: list[str] = field(default_factory=list)
    said: list[tuple[str, list[Term]]] = field(default_factory=list)

    def __str__(self) -> str:
        expanded = "".join(f"\nsynonyms: {s}" for s in self.synonyms)
        return f"strict: {self.strict}\nloose:  {self.loose}{expanded}"


def parse(
    qs: str, analyzer: Analyzer = DEFAULT, settings: SearchSettings | None = None, synonyms: Synonyms | None = None
) -> QueryPlan:
    """Parse a query string, analysing its words with ``analyzer`` (the
    index's), into the plans ``settings`` (field weights, proximity) make,
    each word also finding its ``synonyms`` (see searcher.synonyms). Raises QueryError when there is nothing to search for, or when
    the query holds more than MAX_QUERY_CHARS, MAX_QUERY_WORDS or
    MAX_QUERY_DEPTH allow."""
    if not qs or not qs.strip():
        raise QueryError("the query is empty")
    if qs.strip() == EVERY:
        return QueryPlan(p.Every(), p.Every())
    tokens = _bounded_tokens(qs)
    tree = _Parser(tokens).parse()
    # each text analysed once, all in one call: the strict and loose queries (and a NOT's) share its terms
    texts = list(_texts(tree))
    terms = _reread(analyzer, [t.text for t in texts], list(analyzer.analyze_many(t.text for t in texts))) if texts else []
    analysed, weak, said = {}, set(), []
    for node, found in zip(texts, terms):
        analysed[id(node)] = _positions(found, weak)
        said.append((node.text, found))
    asked = _Asked(OPTIONAL_TERMS | weak)
    planner = _Planner(analysed, settings or SearchSettings(), weak, synonyms.compiled(analyzer) if synonyms else None)
    strict = planner.plan(tree, True, asked)
    loose = planner.plan(tree, False)
    if strict is None or loose is None:
        raise QueryError(f"nothing to search for in {qs!r}: {_why_nothing(tokens, texts)}")
    return QueryPlan(
        strict, loose, asked.terms, list(asked.words), " ".join(asked.texts), list(asked.synonyms), said
    )


def _reread(analyzer: Analyzer, texts: list[str], found: list[list[Term]]) -> list[list[Term]]:
    """The terms of ``texts`` (``found``: each analysed whole, in context),
    but for a word of two syllables or more, its particle left out (상의 is
    상 + 의, not 상의), that its context broke into one-letter terms (스토리
    지루: 지 + the particle 루; 지 + 루, and 지루 joined, before 결말) while
    alone it reads as one word of two letters or more (지루): that word's
    terms are its reading alone, at its place. A query is short: its words
    are read alone in one more call, only when such a word is there."""
    broken = []  # (text number, word's start, word's end)
    for n, (text, terms) in enumerate(zip(texts, found)):
        for m in re.finditer(r"\S+", text):
            inside = [t for t in terms if m.start() <= t.start < m.end()]
            letters = "".join(t.text for t in inside if len(t.text) == 1)  # and their run joined (see analysis._close)
            if inside and sum(map(is_syllable, without_particle(m.group()))) >= 2 and all(len(t.text) == 1 or t.text == letters for t in inside):
                broken.append((n, m.start(), m.end()))
    if not broken:
        return found
    alone = analyzer.analyze_many(texts[n][a:b] for n, a, b in broken)
    found = [list(terms) for terms in found]
    for (n, a, b), terms in zip(broken, alone):
        if len({t.pos for t in terms}) != 1 or not any(len(t.text) > 1 for t in terms):
            continue  # alone it is not one word either
        inside = [t for t in found[n] if a <= t.start < b]
        at = inside[0].pos
        found[n] = sorted(
            [t for t in found[n] if not a <= t.start < b]
            + [Term(t.text, at, a + t.start, a + t.end, t.tag) for t in terms],
            key=lambda t: (t.pos, t.start),
        )
    return found


#: Hangul letters standing alone (ㅋㅋ, ㅠㅠ, ㅎㅎ): Kiwi tags them as symbols, which are not indexed.
_JAMO = re.compile("[\u1100-\u11ff\u3131-\u318e]")


def _why_nothing(tokens: list[tuple[str, object]], texts: list[Text]) -> str:
    """Why a query whose ``tokens`` and ``texts`` came to no search has nothing to search for."""
    if all(kind in ("and", "or", "not", "plus", "lparen", "rparen") for kind, _ in tokens):
        return "it has only operators (AND, OR, NOT, +, -) and parentheses; give words to search for, e.g. 외로움 OR 고독"
    if any(_JAMO.search(t.text) for t in texts):
        return "laughter and lone jamo (ㅋㅋ, ㅠㅠ) are not indexed, in reviews nor in queries; search for words"
    return "it has only particles, endings or punctuation"


def _bounded_tokens(qs: str) -> list[tuple[str, object]]:
    """The tokens of ``qs``; QueryError naming the limit if it is longer, has
    more words or nests deeper than a query may."""
    if len(qs) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long: {len(qs):,} characters, at most {MAX_QUERY_CHARS:,}; "
            "search for its telling words or one sentence of it"
        )
    tokens = _lex(qs)
    words = sum(kind not in ("lparen", "rparen") for kind, _ in tokens)
    if words > MAX_QUERY_WORDS:
        raise QueryError(
            f"the query has too many words: {words:,} words and operators, at most {MAX_QUERY_WORDS:,}; "
            "search for fewer of them"
        )
    depth = deepest = 0
    for kind, _ in tokens:
        if kind == "lparen":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "rparen":
            depth = max(depth - 1, 0)  # as the parser does, a stray ')' closes nothing
    if deepest > MAX_QUERY_DEPTH:
        raise QueryError(
            f"the query nests parentheses too deeply: {deepest} levels, at most {MAX_QUERY_DEPTH}; "
            "remove the parentheses that group a single part"
        )
    return tokens


def _texts(node) -> Iterator[Text]:
    """The Text nodes of a parse tree."""
    if isinstance(node, Text):
        yield node
    elif isinstance(node, Not):
        yield from _texts(node.child)
    elif isinstance(node, Group):
        for child in node.children:
            yield from _texts(child)


@dataclass
class _Asked:
    """What the positive text of a query asks for, gathered while compiling it
    (words made only of ``optional`` terms are not asked for)."""

    optional: frozenset[str] | set[str] = OPTIONAL_TERMS
    terms: dict[str | None, set[str]] = field(default_factory=dict)
    words: dict[tuple, None] = field(default_factory=dict)  # ordered set
    texts: list[str] = field(default_factory=list)
    synonyms: dict[str, None] = field(default_factory=dict)  # ordered set

    def add(self, node: Text, fields: dict[str, float], groups: list[list[str]], synonyms: tuple[str, ...] = ()) -> None:
        self.terms.setdefault(node.field, set()).update(t for g in groups for t in g)
        self.words.update(
            ((tuple(fields), tuple(sorted(alts))), None) for alts in groups if not set(alts) <= self.optional
        )
        self.texts.append(node.text)
        self.synonyms.update(dict.fromkeys(synonyms))


def _positions(terms: list[Term], weak: set[str]) -> list[list[str]]:
    """Analysed terms grouped by position (alternatives at one position), in
    the order of the text. A word the analyzer could not classify (WEAK: 순삭,
    정말) is a group of its own, added to ``weak``: such words are searched
    for, not required. The loose pieces of a word joined with others
    (WEAK_PART: 리터 of 3리터) are left out: the word is asked for whole."""
    groups: dict[object, tuple[int, list[str]]] = {}
    for term in terms:
        if term.tag == WEAK_PART:
            continue
        key = ("weak", term.start) if term.tag == WEAK else term.pos
        start, alts = groups.setdefault(key, (term.start, []))
        if term.text not in alts:
            alts.append(term.text)
        if term.tag == WEAK:
            weak.add(term.text)
    return [alts for _, alts in sorted(groups.values(), key=lambda group: group[0])]


def analysed_words(analyzer: Analyzer, texts: list[str]) -> list[tuple[tuple[str, ...], ...]]:
    """Each of ``texts`` analysed as a query's words are: its positions, each
    its alternative terms (all analysed in one call)."""
    return [tuple(map(tuple, _positions(found, set()))) for found in analyzer.analyze_many(texts)]


def _distinct(groups: list[list[str]]) -> list[list[str]]:
    """Each word once: a word said twice in a query should not weigh twice."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for alts in groups:
        key = tuple(sorted(alts))
        if key not in seen:
            seen.add(key)
            out.append(alts)
    return out


class _Planner:
    """Makes the plan of a parse tree whose texts' terms are in ``analysed``
    (by node id, grouped by position), as ``settings`` weigh fields and words
    near each other. ``weak`` words (see _positions) count but are not
    required, and take no place in phrases and proximity."""

    def __init__(
        self, analysed: dict[int, list[list[str]]], settings: SearchSettings, weak: set[str], synonyms: Expansions | None
    ):
        self.analysed, self.settings, self.weak, self.synonyms = analysed, settings, weak, synonyms
        self.optional = OPTIONAL_TERMS | weak

    def plan(self, node, strict: bool, asked: _Asked | None = None) -> p.Node | None:
        """The plan of ``node``; ``asked`` gathers its positive text (None: not gathered)."""
        if node is None:
            return None
        if isinstance(node, Text):
            return self._text(node, strict, asked)
        if isinstance(node, Exact):
            return p.Term(node.field, exact_value(node.field, node.value))
        if isinstance(node, Range):
            return p.Range(node.field, node.start, node.end, node.start_excl, node.end_excl)
        if isinstance(node, Not):
            child = self.plan(node.child, True)
            return p.Not(child) if child is not None else None
        children = [self.plan(c, strict, asked) for c in node.children]
        children = [c for c in children if c is not None]
        if node.op == "or" or (node.op == "soft" and not strict):
            return p.any_of(children)
        return _and(children)

    def _text(self, node: Text, strict: bool, asked: _Asked | None) -> p.Node | None:
        groups = self.analysed[id(node)]
        if not groups:
            return None
        settings = self.settings
        fields = settings.field_weights if node.field is None else {node.field: 1.0}
        words = [g for g in groups if not set(g) <= self.weak] or groups  # what phrases and proximity place
        phrase = node.phrase and len(words) > 1
        matches = self.synonyms.matches(_distinct(groups)) if self.synonyms and not phrase else []
        if asked is not None:
            asked.add(node, fields, widened(_distinct(groups), matches), tuple(m.shown for m in matches))
        if phrase:
            return p.any_of([_phrase(f, words, boost) for f, boost in fields.items()])
        words = _distinct(words)
        groups = _distinct(groups)
        clauses = [p.any_of([p.Term(f, t, boost) for f, boost in fields.items() for t in alts]) for alts in groups]
        if matches:  # a word and its synonyms: one clause, one word of the query
            clauses = widened_clauses(clauses, matches, lambda words: _words(fields, words))
            groups = widened(groups, matches)
        if node.phrase:
            return _and(clauses)
        near = [
            p.Near(p.Term(f, a[0]), p.Term(f, b[0]), settings.near_slop)  # their first readings, in either order
            for f in fields
            if f in settings.proximity_fields
            for i, a in enumerate(words)
            for b in words[i + 1 : i + 1 + settings.near_window]
        ]
        extras = [p.Or(tuple(near), settings.near_boost)] if near else []
        required = [c for c, alts in zip(clauses, groups) if not set(alts) <= self.optional]
        if not strict or not required:
            return p.any_of(clauses + extras)
        optional = [c for c, alts in zip(clauses, groups) if set(alts) <= self.optional] + extras
        return p.AndMaybe(_and(required), p.any_of(optional)) if optional else _and(required)


def _words(fields: dict[str, float], words: tuple[tuple[str, ...], ...]) -> p.Node | None:
    """Analysed ``words`` (a synonym) in any of ``fields``: its terms, or its phrase if it has several positions."""
    if len(words) == 1:
        return p.any_of([p.Term(f, t, boost) for f, boost in fields.items() for t in words[0]])
    return p.any_of([_phrase(f, [list(alts) for alts in words], boost) for f, boost in fields.items()])


def _phrase(fieldname: str, groups: list[list[str]], boost: float) -> p.Node:
    if all(len(alts) == 1 for alts in groups):
        return p.Phrase(fieldname, tuple(alts[0] for alts in groups), boost)
    return p.Sequence(tuple(p.any_of([p.Term(fieldname, t) for t in alts]) for alts in groups), boost)


def _and(clauses: list[p.Node]) -> p.Node | None:
    """AND of the clauses; NOT clauses subtract, and a query of only NOTs
    subtracts from every review."""
    positives = [c for c in clauses if not isinstance(c, p.Not)]
    negatives = [c.child for c in clauses if isinstance(c, p.Not)]
    if not positives and not negatives:
        return None
    base = p.all_of(positives) if positives else p.Every()
    if negatives:
        return p.AndNot(base, p.any_of(negatives))
    return base


def filters(author: str | None, since: str | _dt.date | None, until: str | _dt.date | None) -> p.Node | None:
    """The plan of a search's filters: reviews by ``author``, dated from
    ``since`` to ``until`` (a date, or a day, a month or a year as text: see
    dates.parse_period; a month or a year includes all its days). None: no filter."""
    clauses: list[p.Node] = []
    if author:
        clauses.append(p.Term("author", exact_value("author", author)))
    start, end = _date_filter(since, "since"), _date_filter(until, "until")
    if start or end:
        clauses.append(p.Range("date", start, end))
    return p.all_of(clauses)


def _date_filter(value: str | _dt.date | None, name: str) -> str | None:
    """``since`` or ``until`` as the ISO text that bounds dates."""
    if value is None or isinstance(value, _dt.date):
        return value.isoformat() if value else None
    period = _period(value, f"cannot read the {name} date {value!r}")
    return period if name == "since" else period_end(period)
