"""revsearch's plan (see :mod:`searcher.plan`) as Whoosh queries: node for
node, so that Whoosh's own matchers and searchers give the scores the numpy
evaluation (see matching) gives, and tests can compare the two."""

from __future__ import annotations

from dataclasses import replace
from functools import singledispatch

from whoosh import query as wq
from whoosh.query.spans import SpanNear

from ... import plan as p


class _Near(SpanNear):
    """Whoosh's SpanNear, sizable so that Or can order it among its children."""

    def estimate_size(self, ixreader) -> int:
        return self.q.estimate_size(ixreader)


@singledispatch
def whoosh_query(node: p.Node) -> wq.Query:
    """The Whoosh query for a plan node."""
    raise TypeError(f"no Whoosh query for the plan node {node!r}")


@whoosh_query.register
def _(node: p.Term) -> wq.Query:
    return wq.Term(node.field, node.text, boost=node.boost)


@whoosh_query.register
def _(node: p.Phrase) -> wq.Query:
    return wq.Phrase(node.field, list(node.words), slop=node.slop, boost=node.boost)


@whoosh_query.register
def _(node: p.Sequence) -> wq.Query:
    return wq.Sequence([whoosh_query(c) for c in node.parts], boost=node.boost)


@whoosh_query.register
def _(node: p.Near) -> wq.Query:
    return _Near(whoosh_query(node.a), whoosh_query(node.b), slop=node.slop, ordered=node.ordered)


@whoosh_query.register
def _(node: p.Or) -> wq.Query:
    if len(node.children) == 1:
        return whoosh_query(_boosted(node.children[0], node.boost))
    return wq.Or([whoosh_query(c) for c in node.children], boost=node.boost)


@whoosh_query.register
def _(node: p.And) -> wq.Query:
    if len(node.children) == 1:
        return whoosh_query(_boosted(node.children[0], node.boost))
    return wq.And([whoosh_query(c) for c in node.children], boost=node.boost)


def _boosted(node: p.Node, boost: float) -> p.Node:
    """``node`` scoring ``boost`` times what it scores. Whoosh replaces a
    compound of one child by the child, its boost lost (a lone proximity
    bonus counted four times its weight): the boost goes down to the child.
    A span (Near) scores what its terms score, so its terms take it; Not,
    Every and Range score alike whatever the boost (they carry none)."""
    if boost == 1.0:
        return node
    if isinstance(node, p.Near):
        return replace(node, a=_boosted(node.a, boost), b=_boosted(node.b, boost))
    if isinstance(node, p.AndMaybe):
        return replace(node, required=_boosted(node.required, boost), optional=_boosted(node.optional, boost))
    if isinstance(node, p.AndNot):
        return replace(node, positive=_boosted(node.positive, boost))
    if not hasattr(node, "boost"):
        return node
    return replace(node, boost=node.boost * boost)


@whoosh_query.register
def _(node: p.AndMaybe) -> wq.Query:
    return wq.AndMaybe(whoosh_query(node.required), whoosh_query(node.optional))


@whoosh_query.register
def _(node: p.AndNot) -> wq.Query:
    return wq.AndNot(whoosh_query(node.positive), whoosh_query(node.negative))


@whoosh_query.register
def _(node: p.Not) -> wq.Query:
    return wq.Not(whoosh_query(node.child))


@whoosh_query.register
def _(node: p.Every) -> wq.Query:
    return wq.Every()


@whoosh_query.register
def _(node: p.Range) -> wq.Query:
    make = wq.NumericRange if node.field == "rating" else wq.TermRange
    return make(node.field, node.start, node.end, node.start_excl, node.end_excl)
