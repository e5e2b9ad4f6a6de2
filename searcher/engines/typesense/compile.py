"""revsearch's plan (see :mod:`searcher.plan`) as a Typesense ``filter_by``
expression, which decides exactly which reviews match, and the terms a
plan scores by (see engine: candidates are scored by revsearch's BM25F).

Terms, their and/or/and-not, every review and ranges are expressed exactly:
a text field holds a review's terms as a ``string[]`` (see schema), and
``field:=[`term`]`` matches a review holding the term. What Typesense cannot
express is widened, never narrowed: a phrase or sequence matches the
reviews holding all its words, in any order and distance (term positions
are not kept), and a proximity bonus (Near) the reviews holding both words.
A negation is pushed down to its terms (De Morgan), as ``!=``.

Typesense 0.24 refuses a filter of more than about 100 parts (conditions,
operators and parentheses: 49 conditions or'ed pass, 50 do not): the terms
of an or are grouped into one list per field (``body:=[`외로움`,`외롭다`]``),
a word's terms asked in every text field into one condition on ``all`` (the
union of a review's text terms, see schema), and a proximity bonus beside
one of its words is dropped (it matches only reviews holding that word). A
plan whose filter is still longer is refused (QueryError)."""

from __future__ import annotations

import datetime as _dt
from functools import singledispatch

from ... import plan as p
from ...errors import QueryError
from ...schema import TEXT_FIELDS
from .schema import ALL, EXACT, NO_DAY, NO_RATING, day

#: A filter no review matches.
NOTHING = "rid:=`\x01`"
#: The most parts (conditions, operators, parentheses) a filter may hold: Typesense 0.24 refuses 101.
MOST_PARTS = 99
#: The last day a date (an int32) can hold.
LAST_DAY = 2**31 - 1


def quoted(value: str) -> str:
    """A value of a filter, in backticks (which it must not hold: they are dropped)."""
    return "`" + value.replace("`", "") + "`"


def both(a: str | None, b: str | None) -> str | None:
    """The filter of the reviews both ``a`` and ``b`` match (None: every review)."""
    if a is None or b is None:
        return a if b is None else b
    return f"({a} && {b})"


def filter_for(plan: p.Node, within: p.Node | None = None) -> str | None:
    """The ``filter_by`` of the reviews ``plan`` matches among those ``within``
    matches (None: every review); QueryError if Typesense cannot take it (see the module)."""
    found = both(filter_of(plan), filter_of(within) if within is not None else None)
    if found is not None:
        parts = sum(found.count(op) for op in (":=", ":!=", ":>", ":<", ":[", "&&", "||", "(", ")"))
        if parts > MOST_PARTS:
            raise QueryError(
                f"the query makes a filter of {parts} parts, more than the Typesense engine takes ({MOST_PARTS}): shorten it"
            )
    return found


@singledispatch
def filter_of(node: p.Node) -> str | None:
    """The ``filter_by`` of the reviews ``node`` matches; None for every review."""
    raise TypeError(f"no Typesense filter for the plan node {node!r}")


def _grouped(terms: list[p.Term], negated: bool = False) -> list[str]:
    """The conditions of the reviews holding any of ``terms`` (``negated``:
    holding none; each condition then to hold): a list per field, those
    asked in every text field alike one list on ``all``."""
    by_field: dict[str, list[str]] = {}
    for term in terms:
        texts = by_field.setdefault(term.field, [])
        if term.text not in texts:
            texts.append(term.text)
    texts = [set(by_field.get(f, ())) for f in TEXT_FIELDS]
    if all(texts) and all(t == texts[0] for t in texts):
        for f in TEXT_FIELDS:
            del by_field[f]
        by_field = {ALL: sorted(texts[0]), **by_field}
    op = ":!=" if negated else ":="
    out = []
    for field, values in by_field.items():
        if field in TEXT_FIELDS or field == ALL or field in EXACT:
            out.append(f"{EXACT.get(field, field)}{op}[{','.join(quoted(v) for v in values)}]")
        else:  # date, rating: one condition a value
            out += [_term(field, v, negated) for v in values]
    return out


def _flat(node: p.Or) -> list[p.Node]:
    """The children of an or, those of the ors among them in their place."""
    out: list[p.Node] = []
    for child in node.children:
        out += _flat(child) if isinstance(child, p.Or) else [child]
    return out


def _term(field: str, text: str, negated: bool = False) -> str:
    op = ":!=" if negated else ":="
    if field in TEXT_FIELDS:
        return f"{field}{op}[{quoted(text)}]"
    if field == "date":
        return f"date{op}{day_of(text)}"
    if field == "rating":
        return f"rating{op}{float(text)}"
    return f"{EXACT.get(field, field)}{op}{quoted(text)}"


def day_of(text: str) -> int:
    """The day number (see schema) of an ISO date."""
    return day(_dt.date.fromisoformat(text))


@filter_of.register
def _(node: p.Term) -> str:
    return _term(node.field, node.text)


def _all(filters: list[str | None]) -> str | None:
    kept = [f for f in filters if f is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else "(" + " && ".join(kept) + ")"


@filter_of.register
def _(node: p.Phrase) -> str | None:
    return _all([_term(node.field, word) for word in node.words])


@filter_of.register
def _(node: p.Sequence) -> str | None:
    return _all([filter_of(part) for part in node.parts])


@filter_of.register
def _(node: p.Near) -> str | None:
    return _all([filter_of(node.a), filter_of(node.b)])


@filter_of.register
def _(node: p.Or) -> str | None:
    children = _flat(node)
    terms = [c for c in children if isinstance(c, p.Term)]
    held = {(t.field, t.text) for t in terms}
    others = [
        filter_of(c) for c in children
        if not isinstance(c, p.Term) and not (isinstance(c, p.Near) and (c.a.field, c.a.text) in held)
    ]
    if any(c is None for c in others):
        return None
    parts = _grouped(terms) + others
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


@filter_of.register
def _(node: p.And) -> str | None:
    return _all([filter_of(c) for c in node.children])


@filter_of.register
def _(node: p.AndMaybe) -> str | None:
    return filter_of(node.required)


@filter_of.register
def _(node: p.AndNot) -> str | None:
    return _all([filter_of(node.positive), negated(node.negative)])


@filter_of.register
def _(node: p.Not) -> str:
    return negated(node.child)


@filter_of.register
def _(node: p.Every) -> None:
    return None


@filter_of.register
def _(node: p.Range) -> str | None:
    return _all(_inside(node))


def _inside(node: p.Range) -> list[str]:
    """The range's conditions, all met by the reviews inside it (a review
    without a value never is), as few as its bounds allow: Typesense 0.24
    lists the reviews each condition holds before it combines them, so a
    condition most reviews meet costs more than the search (``date:>NO_DAY``
    and two comparisons: 77 ms for a date range and a word on 357K reviews,
    one ``date:[low..high]``: 7 ms). Days are whole, so a date range is one
    range condition; a rating range is one when its bounds are inclusive,
    with the check for a missing rating only if its start lets one in."""
    if node.field == "date":
        low = day_of(node.start) + int(node.start_excl) if node.start is not None else NO_DAY + 1
        high = day_of(node.end) - int(node.end_excl) if node.end is not None else LAST_DAY
        return [f"date:[{low}..{high}]"]
    start = float(node.start) if node.start is not None else None
    end = float(node.end) if node.end is not None else None
    out = []
    if start is None or start < NO_RATING or (start == NO_RATING and not node.start_excl):
        out.append(f"rating:>{NO_RATING}")
    if start is not None and end is not None and not (node.start_excl or node.end_excl):
        return out + [f"rating:[{start}..{end}]"]
    if start is not None:
        out.append(f"rating:{'>' if node.start_excl else '>='}{start}")
    if end is not None:
        out.append(f"rating:{'<' if node.end_excl else '<='}{end}")
    return out


def _outside(node: p.Range) -> list[str]:
    """The range's conditions of which any one puts a review outside it (a review without a value is)."""
    value, field = (day_of if node.field == "date" else float), node.field
    out = [f"{field}:={_missing(field)}"]
    if node.start is not None:
        out.append(f"{field}:{'<=' if node.start_excl else '<'}{value(node.start)}")
    if node.end is not None:
        out.append(f"{field}:{'>=' if node.end_excl else '>'}{value(node.end)}")
    return out


def _missing(field: str) -> float:
    return NO_DAY if field == "date" else NO_RATING


def negated(node: p.Node) -> str:
    """The filter of the reviews ``node`` does not match (its negation pushed down to its terms)."""
    if isinstance(node, p.Term):
        return _term(node.field, node.text, negated=True)
    if isinstance(node, p.Or):
        children = _flat(node)
        terms = [c for c in children if isinstance(c, p.Term)]
        return _all(_grouped(terms, negated=True) + [negated(c) for c in children if not isinstance(c, p.Term)]) or NOTHING
    if isinstance(node, (p.And, p.Phrase, p.Sequence, p.Near)):
        parts = node.children if isinstance(node, p.And) else _parts(node)
        return "(" + " || ".join(negated(c) for c in parts) + ")"
    if isinstance(node, p.AndMaybe):
        return negated(node.required)
    if isinstance(node, p.AndNot):  # not (P and not N) = not P or N
        positive = filter_of(node.negative)
        return f"({negated(node.positive)} || {positive})" if positive is not None else NOTHING
    if isinstance(node, p.Not):
        return filter_of(node.child) or _every()
    if isinstance(node, p.Every):
        return NOTHING
    if isinstance(node, p.Range):  # those without a value are outside the range
        return "(" + " || ".join(_outside(node)) + ")"
    raise TypeError(f"no Typesense filter for the negation of {node!r}")


def _every() -> str:
    return "rid:!=`\x01`"


def _parts(node: p.Phrase | p.Sequence | p.Near) -> list[p.Node]:
    if isinstance(node, p.Phrase):
        return [p.Term(node.field, word) for word in node.words]
    if isinstance(node, p.Sequence):
        return list(node.parts)
    return [node.a, node.b]


def held(node: p.Node | None) -> set[str]:
    """The terms every review ``node``'s filter matches holds in one text field
    or another (in ``all``, see schema): a count of those reviews that also
    hold one of them is the count of the filter's."""
    if isinstance(node, p.Term):
        return {node.text} if node.field in TEXT_FIELDS else set()
    if isinstance(node, (p.Phrase, p.Sequence, p.Near, p.And)):
        return set().union(*map(held, node.children if isinstance(node, p.And) else _parts(node)))
    if isinstance(node, p.Or):
        return set.intersection(*map(held, _flat(node))) if node.children else set()
    if isinstance(node, p.AndMaybe):
        return held(node.required)
    if isinstance(node, p.AndNot):
        return held(node.positive)
    return set()  # Not, Every, Range, an exact field's term; no node


def scored_terms(node: p.Node, boost: float = 1.0) -> dict[tuple[str, str], float]:
    """The terms of the text fields ``node`` scores by, (field, text), each
    with its boost (the boosts above it multiplied); those under a negation do not score."""
    found: dict[tuple[str, str], float] = {}

    def walk(n: p.Node, b: float) -> None:
        if isinstance(n, p.Term):
            if n.field in TEXT_FIELDS:
                found[n.field, n.text] = max(found.get((n.field, n.text), 0.0), b * n.boost)
        elif isinstance(n, p.Phrase):
            for word in n.words:
                walk(p.Term(n.field, word), b * n.boost)
        elif isinstance(n, p.Sequence):
            for part in n.parts:
                walk(part, b * n.boost)
        elif isinstance(n, (p.Or, p.And)):
            for c in n.children:
                walk(c, b * n.boost)
        elif isinstance(n, p.AndMaybe):
            walk(n.required, b)
            walk(n.optional, b)
        elif isinstance(n, p.AndNot):
            walk(n.positive, b)

    walk(node, boost)
    return found
