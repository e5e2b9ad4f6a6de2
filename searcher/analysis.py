"""Korean analysis: the one place that touches Kiwi.

Text becomes a list of :class:`Term` — content morphemes (nouns, verb and
adjective lemmas, roots, foreign words, numbers, adverbs that negate or judge:
안, 못, 별로) with their position
and their character offsets in the original text. Particles, endings, symbols
and punctuation are dropped. Documents and queries go through the same
:func:`analyze`, so 테오도르는 / 테오도르의 both give 테오도르 and 외로운 / 외롭다
both give 외롭다.

Where Kiwi may analyse one word two ways in different contexts (외로움 as a
noun, or 외롭 + 음), both forms are emitted at the same position so either
analysis matches the other.

An :class:`Analyzer` adds a user dictionary to Kiwi; each index records the
one it was built with. The Kiwi models are loaded lazily, once per process
and dictionary, and kept at module level: Whoosh pickles the schema (analyzer
included) into the index, so the analyzer object itself must hold no Kiwi.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import threading
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple, Sequence, TypeVar

from .errors import RevsearchError
from .review import SURROGATES

if TYPE_CHECKING:  # pragma: no cover
    from kiwipiepy import Kiwi

#: Tags (before any ``-I``/``-R`` suffix) whose morphemes are indexed as they are.
CONTENT_TAGS = frozenset({"NNG", "NNP", "NR", "XR", "SL", "SN", "SH"})
#: The adverbs that are indexed: those that turn or judge what they qualify
#: (안 좋다 is not 좋다). Others (가장, 정말, 많이) only blur ranking.
ADVERBS = frozenset({"안", "못", "잘", "별로", "전혀", "다시", "최고"})
#: Verb and adjective stems, indexed as their lemma (stem + 다).
PREDICATE_TAGS = frozenset({"VV", "VA"})
#: Morphemes that, written together in one word, are also indexed joined.
COMPOUND_TAGS = frozenset({"NNG", "NNP", "NR", "SL", "SN", "SH"})
#: Nouns that look deverbal but are not (이름 is not 이르 + ㅁ).
_NOT_DEVERBAL = frozenset({"이름", "구름", "걸음", "고름", "보름"})
#: Review slang Kiwi's dictionary lacks, added as nouns: without them 존잼
#: reads as 존재 + ㅁ, 비추합니다 as 비 + 추하다 ("ugly"), 강추 as an interjection.
REVIEW_WORDS = (
    "존잼", "꿀잼", "핵잼", "노잼", "핵노잼", "개노잼", "개꿀잼", "비추", "강추", "존맛", "노맛",
    "띵작", "갓띵작", "인생작", "인생영화", "킬링타임", "평점알바",
)
#: Kiwi is fed at most this many characters at a time; longer text is cut at
#: whitespace. Bounds memory and keeps pathological input away from Kiwi.
MAX_PIECE = 2000
#: Texts this short in all are analysed in the calling thread: Kiwi's threads are
#: shared by every search of a process, and a query's few words sent to them wait
#: behind another search's long texts (seconds, for the passages of long reviews).
#: Up to about this much, the calling thread is also as fast.
INLINE_CHARS = 500

T = TypeVar("T")

_models: dict[str, Kiwi] = {}
_models_lock = threading.Lock()


def _model(user_dict: str) -> Kiwi:
    """The process-wide Kiwi with the review words and ``user_dict`` (Kiwi's
    TSV format), built on first use (2–4 s, ~500 MB). ValueError, naming the
    line, if the dictionary is malformed."""
    model = _models.get(user_dict)
    if model is None:
        with _models_lock:
            model = _models.get(user_dict)
            if model is None:
                from kiwipiepy import Kiwi

                model = Kiwi()
                for word in REVIEW_WORDS:
                    model.add_user_word(word, "NNG", 0)
                if user_dict:
                    _load_user_dict(model, user_dict)
                model.tokenize("")  # Kiwi builds itself on its first call (2-3 s): now, so model() is the whole load
                _models[user_dict] = model
    return model


def _load_user_dict(model: Kiwi, text: str) -> None:
    # Kiwi reads dictionaries only from files; a copy of the recorded text is written for it.
    with tempfile.TemporaryDirectory(prefix="revsearch-dict-") as folder:
        path = Path(folder, "user.dict")
        path.write_text(text, encoding="utf-8")
        model.load_user_dictionary(str(path))


@dataclass(frozen=True)
class Analyzer:
    """How text becomes terms: Kiwi with the review words and, optionally, a
    user dictionary of the names and terms of a domain. An index records its
    Analyzer (it is pickled into the schema), so queries and passages are
    analysed exactly as its documents were.

    ``user_dict`` is the dictionary's text in Kiwi's TSV format
    (``word<TAB>tag[<TAB>score]`` per line, ``#`` comments), not its path:
    later edits to the file do not change an index built with it."""

    user_dict: str = ""

    @classmethod
    def with_user_dict(cls, path: str | os.PathLike, on_load: Callable[[bool], None] | None = None) -> Analyzer:
        """An analyzer with the dictionary in ``path``, checked (the model is
        built now and reused; see :meth:`model` for ``on_load``). RevsearchError
        naming the file and line if it cannot be read or Kiwi rejects it."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise RevsearchError(f"cannot read the user dictionary {path}: {getattr(e, 'strerror', None) or e}") from e
        analyzer = cls(text)
        try:
            _check_scores(text)
            analyzer.model(on_load)
        except ValueError as e:
            raise RevsearchError(f"{path}: not a Kiwi user dictionary: {_kiwi_reason(e)}") from e
        return analyzer

    def model(self, on_load: Callable[[bool], None] | None = None) -> Kiwi:
        """The Kiwi of this analyzer, loaded on first use in the process;
        ``on_load`` is told True before and False after, if it is loaded now."""
        if on_load is None or self.user_dict in _models:
            return _model(self.user_dict)
        on_load(True)
        try:
            return _model(self.user_dict)
        finally:
            on_load(False)

    def analyze(self, text: str) -> list[Term]:
        """Analyse one text into terms."""
        return next(self.analyze_many([text]))

    def analyze_many(self, texts: Iterable[str]) -> Iterator[list[Term]]:
        """Analyse many texts, yielding one term list per text, in order."""
        for _, (terms,) in self.stream(list(texts), lambda text: (text,)):
            yield terms

    def stream(self, items: Iterable[T], texts: Callable[[T], Sequence[str]]) -> Iterator[tuple[T, list[list[Term]]]]:
        """``items``, in order, each with the terms of each of its ``texts(item)``
        (an item with none passes through). All the texts go to Kiwi as one
        stream, which its threads analyse ahead of the caller: Kiwi takes items
        as it needs them, so a long run never waits for it between batches.
        A list is analysed as one batch, spread over Kiwi's threads at once;
        or, if it holds at most INLINE_CHARS characters, in this thread."""
        taken: deque = deque()  # items Kiwi has taken, with their texts and their pieces

        def pieces() -> Iterator[str]:
            for item in items:
                item_texts = texts(item)
                cut = [_pieces(text) for text in item_texts]
                taken.append((item, item_texts, cut))
                for text_pieces in cut:
                    for _, piece in text_pieces:
                        yield _clean(piece)

        model = self.model()
        if isinstance(items, (list, tuple)):
            batch = list(pieces())
            small = sum(map(len, batch)) <= INLINE_CHARS  # a query, a search's short hits
            results = iter(map(model.tokenize, batch) if small else model.tokenize(batch))
        else:
            results = iter(model.tokenize(pieces()))
        early: deque = deque()  # results fetched to make Kiwi take more items
        while True:
            if not taken:
                try:
                    early.append(next(results))
                except StopIteration:
                    if not taken:
                        return
                continue
            item, item_texts, cut = taken.popleft()
            analysed = []
            for text, text_pieces in zip(item_texts, cut):
                terms: list[Term] = []
                pos = 0
                for offset, _ in text_pieces:
                    pos = _emit(self, text, offset, early.popleft() if early else next(results), terms, pos)
                analysed.append(terms)
            yield item, analysed


def _check_scores(text: str) -> None:
    """ValueError, naming the line, for a score that is not a number (Kiwi reads
    ``abc`` as 0 without a word)."""
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("\t")
        if line.lstrip().startswith("#") or len(fields) < 3 or not fields[2].strip():
            continue
        try:
            score = float(fields[2])
        except ValueError:
            score = math.nan
        if not math.isfinite(score):
            raise ValueError(f"the score {fields[2].strip()!r} is not a number at line {number}")


def _kiwi_reason(error: ValueError) -> str:
    """Kiwi's message without its ``[loadUserDictionary]`` prefix."""
    return re.sub(r"^\[\w+\]\s*", "", str(error))


class Term(NamedTuple):
    """One indexed term: its text, its position among the terms of the text,
    and the character span ``[start, end)`` of the word it came from. A named
    tuple: large runs send millions of them between processes."""

    text: str
    pos: int
    start: int
    end: int
    tag: str = ""


def _base_tag(tag: str) -> str:
    return tag.split("-", 1)[0]


def _pieces(text: str) -> list[tuple[int, str]]:
    """Text cut into pieces of at most MAX_PIECE characters, at line breaks or
    whitespace where possible, as ``(offset, piece)``; none for no text."""
    n = len(text) if text else 0
    if n <= MAX_PIECE:
        return [(0, text)] if n else []
    pieces, i = [], 0
    while i < n:
        end = min(i + MAX_PIECE, n)
        if end < n:
            cut = max(text.rfind("\n", i, end), text.rfind(" ", i, end))
            if cut > i:
                end = cut + 1
        pieces.append((i, text[i:end]))
        i = end
    return pieces


#: A character repeated this often is elongation (ㅋㅋㅋ, 오오오, !!!) or junk.
_RUN = re.compile(r"(.)\1{8,}", re.DOTALL)


def _clean(piece: str) -> str:
    """What Kiwi is given, offsets unmoved: lone surrogates become spaces, and a
    run of one character keeps three copies, the rest blanked (Kiwi slows to a
    crawl on long runs such as 가가가…)."""
    piece = SURROGATES.sub(" ", piece)
    return _RUN.sub(lambda m: m.group(1) * 3 + " " * (len(m.group(0)) - 3), piece)


#: The analyzer of an index built without a user dictionary.
DEFAULT = Analyzer()


def analyze(text: str) -> list[Term]:
    """Analyse one text into terms with the default analyzer."""
    return DEFAULT.analyze(text)


def analyze_many(texts: Iterable[str]) -> Iterator[list[Term]]:
    """Analyse many texts with the default analyzer, one term list per text, in order."""
    return DEFAULT.analyze_many(texts)


def _emit(analyzer: Analyzer, text: str, offset: int, tokens, out: list[Term], pos: int) -> int:
    """Append the terms of one piece's Kiwi ``tokens`` (the piece starts at
    ``offset`` of ``text``) to ``out``, from position ``pos``; returns the
    next free position. One function, its state in local variables: it runs
    for every token of every review.

    Besides each morpheme, a run of morphemes written together in one word —
    nouns, foreign words and numbers, and the loose pieces Kiwi cuts unknown
    words into (see LOOSE_TAGS) — is also indexed joined, at the run's first
    position: 서울지방검찰청 beside 서울/지방/검찰청, 갤럭시S24 beside
    갤럭시/s/24, 아이크림 beside 크림 (Kiwi reads 아/IC 이/MM 크림), a name Kiwi
    splits (하현/우) whole again — so compounds match whether they are written
    with or without spaces, and whichever way Kiwi cut them. Loose pieces
    without a noun (순삭 as 순/MAG 삭/MAG, 아이, 리터) are indexed as typed,
    tagged WEAK: a word the analyzer cannot classify is still searchable.

    A negated predicate is indexed as one term, the negation before its lemma,
    spanning both (안 좋았어요, 좋지 않았어요 → 안좋다; 못 봤다, 보지 못했다 →
    못보다; 친절하지 않다 → 안친절): a negated statement is not found as the
    positive one, and either form of a negation finds the other."""
    run: list[Term] = []  # the current run of words written together
    kinds = _KINDS
    before: tuple[str, int] | None = None  # 안 or 못 just read, and where: it negates the predicate that follows
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        i += 1
        negation, before = before, None
        kind, tag = kinds.get(tok.tag) or _kind(tok.tag)
        start = offset + tok.start
        if tag == "VX" and i == 1:
            kind, tag = _PREDICATE, "VV"  # 봤다 alone, read as an auxiliary with nothing to help: the verb
        if kind is _ADVERB and tok.form not in ADVERBS:
            kind = _LOOSE
        if kind is _LOOSE:
            if run and run[-1].end != start:
                pos = _close(run, out, pos)
            run.append(Term(tok.form.lower(), -1, start, start + tok.len, _WEAK))
            continue
        if kind is _SKIP:
            if run:
                pos = _close(run, out, pos)
            continue
        end = start + tok.len
        alts: tuple[Term, ...] = ()
        negated: tuple[str, int, int] | None = None  # a long-form negation: its word, its end, the token after
        if kind is _CONTENT or kind is _ADVERB:
            form = tok.form
            if " " in form:  # Kiwi reads some names across a space: 테드 번디
                pos = _spaced(form, text[start:end], start, tag, run, out, pos)
                continue
            form = form.lower()
            if kind is _ADVERB and form in NEGATIONS and _negatable(tokens, i):
                before = (form, start)  # indexed with the predicate it negates
                continue
            if i < n and tag in _NOUN_PREDICATES and _base_tag(tokens[i].tag) in _PREDICATE_SUFFIXES:
                # 친절 + 하다: the noun stands for the predicate, and takes its negation
                negated = _negation(tokens, i + 1, offset)
        elif kind is _PREDICATE:
            form = tok.form + "다"
            negated = _negation(tokens, i, offset)
            nxt = tokens[i] if i < n else None
            if not (negation or negated) and nxt is not None and nxt.tag == "ETN":
                # 외롭 + 음: also the noun 외로움, as Kiwi elsewhere reads it.
                nend = max(end, offset + nxt.start + nxt.len)
                alts = (Term(text[start:nend], pos, start, nend, "NNG"),)
                i += 1
        else:  # a prefix
            nxt = tokens[i] if i < n else None
            if nxt is None or _kind(nxt.tag)[1] not in _PREFIXED or nxt.start != tok.start + tok.len:
                if run:
                    pos = _close(run, out, pos)
                continue
            # 불+친절, 비+호감: the prefix flips the meaning, so keep them joined.
            end = offset + nxt.start + nxt.len
            form, tag = text[start:end].lower(), "NNG"
            i += 1
        if negation or negated:  # the negated predicate, spanning its negation: 안 좋, 좋지 않
            form = (negation or negated)[0] + form
            start = negation[1] if negation else start
            end = negated[1] if negated else end
        if kind is _PREDICATE and len(tok.form) > 2 and tok.form[-1] == "하":
            # 지루하/VA (지루하다) is elsewhere 지루/XR + 하/XSA, as 지루: also that root (안지루, negated)
            said = (negation or negated)[0] if negation or negated else ""
            alts += (Term(said + tok.form[:-1], pos, start, end, "XR"),)
        joins = tag in COMPOUND_TAGS and not (negation or negated)
        if run and (not joins or run[-1].end != start):
            pos = _close(run, out, pos)
        term = Term(form, pos, start, end, tag)
        out.append(term)
        if alts:
            out.extend(alts)
        if tag == "NNG" and form[-1:] in _FINAL_M and not negated:
            lemma = deverbal_lemma(form, analyzer)
            if lemma:
                out.append(Term(lemma, pos, start, end, "VV"))
        if joins:
            run.append(term)
        pos += 1
        if negated:
            i = negated[2]
    if run:
        pos = _close(run, out, pos)
    return pos


#: Adverbs that negate the predicate after them, as -지 않다 / -지 못하다 negate the one before.
NEGATIONS = frozenset({"안", "못"})
#: What negates a predicate after 지: 않다 and 말다 (안), 못하다 (못).
_LONG_NEGATIONS = {"않": "안", "말": "안", "못하": "못"}
#: Nouns and roots that a suffix makes a predicate (친절 + 하다).
_NOUN_PREDICATES = frozenset({"NNG", "XR"})
_PREDICATE_SUFFIXES = frozenset({"XSA", "XSV"})


def _negation(tokens, i: int, offset: int) -> tuple[str, int, int] | None:
    """The long-form negation starting at token ``i``, right after a predicate:
    지 then 않 / 말 / 못하 (or 못 + 하, as Kiwi may cut it). Its word (안 or
    못), where what negates ends (않, 못하), and the index of the token after it."""
    if i + 1 >= len(tokens) or tokens[i].form != "지" or not tokens[i].tag.startswith("EC"):
        return None
    nxt = tokens[i + 1]
    if nxt.tag.startswith("VX") and nxt.form in _LONG_NEGATIONS:
        return _LONG_NEGATIONS[nxt.form], offset + nxt.start + nxt.len, i + 2
    if nxt.form == "못" and nxt.tag.startswith("MAG") and i + 2 < len(tokens) and tokens[i + 2].form == "하":
        last = tokens[i + 2]
        return "못", offset + last.start + last.len, i + 3
    return None


def _negatable(tokens, i: int) -> bool:
    """Whether token ``i`` starts a predicate a 안 or 못 before it negates: a
    verb or adjective, or a noun or root made one by a suffix (친절 + 하다)."""
    if i >= len(tokens):
        return False
    tag = _base_tag(tokens[i].tag)
    if tag in PREDICATE_TAGS:
        return True
    return tag in _NOUN_PREDICATES and i + 1 < len(tokens) and _base_tag(tokens[i + 1].tag) in _PREDICATE_SUFFIXES


#: What a prefix joins to.
_PREFIXED = frozenset({"NNG", "XR"})


def _spaced(form: str, surface: str, start: int, tag: str, run: list[Term], out: list[Term], pos: int) -> int:
    """A morpheme with spaces in it, as its words and joined; returns the next
    free position. Its words are placed where they are in the ``surface`` it
    was read from (at ``start``), which may be written without the spaces
    (소피마르소, read as 소피 마르소)."""
    if run:
        pos = _close(run, out, pos)
    at = 0
    for m in re.finditer(r"\S+", form):
        word = m.group()
        found = surface.lower().find(word.lower(), at)
        where = found if found >= 0 else min(m.start(), max(len(surface) - len(word), 0))
        at = where + len(word)
        run.append(Term(word.lower(), pos, start + where, start + at, tag))
        out.append(run[-1])
        pos += 1
    return _close(run, out, pos)


def _close(run: list[Term], out: list[Term], pos: int) -> int:
    """End a run of words written together: emit it joined if it has several
    pieces and a word among them (at the first word's position, with each
    stretch of loose pieces in it, tagged WEAK_PART), or its loose pieces (see
    LOOSE_TAGS) joined as typed, tagged WEAK, if they hold no word. A weak
    word takes no position of its own (it shares the one before), so the
    words around it stand as near each other as without it (phrases and
    proximity); returns the next free position."""
    words = [t for t in run if t.tag != _WEAK]
    if words and len(run) > 1:
        at = words[0].pos
        out.append(Term("".join(t.text for t in run), at, run[0].start, run[-1].end, "NNP"))
        loose: list[Term] = []
        for t in [*run, words[0]]:  # each stretch of loose pieces among the words (리터 of 3리터)
            if t.tag == _WEAK:
                loose.append(t)
            elif loose:
                out.append(Term("".join(p.text for p in loose), at, loose[0].start, loose[-1].end, WEAK_PART))
                loose = []
    elif not words:
        out.append(Term("".join(t.text for t in run), max(pos - 1, 0), run[0].start, run[-1].end, _WEAK))
    run.clear()
    return pos


#: The tag of a term for loose pieces without a word (순삭, 아이): see _emit.
WEAK = _WEAK = "W"
#: The tag of the loose pieces of a word joined with others (리터 of 3리터, 아이 of 아이크림).
WEAK_PART = "WP"
#: Pieces Kiwi cuts words it does not know into (or reads as words that carry
#: no content): interjections, determiners, bound nouns (units), adverbs other
#: than ADVERBS. Joined with the words written with them; alone, indexed weak.
LOOSE_TAGS = frozenset({"IC", "MM", "NNB", "MAG"})


#: What the emitter does with a morpheme, by its tag (see _kind).
_SKIP, _PREFIX, _PREDICATE, _CONTENT, _ADVERB, _LOOSE = "skip", "prefix", "predicate", "content", "adverb", "loose"
_KINDS: dict[str, tuple[str, str]] = {}


def _kind(tag: str) -> tuple[str, str]:
    """What the emitter does with a morpheme tagged ``tag`` (a prefix, a
    predicate, content, an adverb, or nothing), and the tag without its
    ``-I``/``-R`` suffix. Kept per tag: Kiwi has few."""
    kind = _KINDS.get(tag)
    if kind is None:
        base = _base_tag(tag)
        if base == "XPN":
            kind = _PREFIX, base
        elif base in PREDICATE_TAGS:
            kind = _PREDICATE, base
        elif base in CONTENT_TAGS or base.startswith("W_"):
            kind = _CONTENT, base
        else:
            kind = (_ADVERB if base == "MAG" else _LOOSE if base in LOOSE_TAGS else _SKIP), base
        kind = _KINDS[tag] = kind
    return kind


_HANGUL_BASE, _JONG_COUNT = 0xAC00, 28
_JONG_M, _JONG_B = 16, 17  # final ㅁ, final ㅂ
#: The syllables ending in ㅁ, as every noun deverbal_lemma reads does (음, 움, 함, 슬픔).
_FINAL_M = frozenset(chr(c) for c in range(_HANGUL_BASE + _JONG_M, _HANGUL_BASE + 11172, _JONG_COUNT))


@lru_cache(maxsize=65536)
def deverbal_lemma(noun: str, analyzer: Analyzer) -> str | None:
    """The term a noun formed with -음/-ㅁ stands for elsewhere, if Kiwi knows
    the stem: 외로움 → 외롭다, 슬픔 → 슬프다, 믿음 → 믿다, 지루함 → 지루 and
    행복함 → 행복 (what 지루하다 and 행복하다 index as); else None. Asked of
    ``analyzer``'s own model, so a user dictionary loads no second Kiwi."""
    if len(noun) < 2 or noun in _NOT_DEVERBAL:
        return None
    if noun.endswith("함"):
        root = noun[:-1]
        tokens = analyzer.model().tokenize(root + "하다")
        if (
            len(tokens) == 3
            and tokens[0].form == root
            and tokens[0].tag in {"XR", "NNG"}
            and tokens[1].tag.startswith("XS")
        ):
            return root
    code = ord(noun[-1]) - _HANGUL_BASE
    if not 0 <= code < 11172:
        return None
    candidates = []
    if noun.endswith("움"):  # ㅂ-irregular: 외로 + 움 → 외롭
        prev = ord(noun[-2]) - _HANGUL_BASE
        if 0 <= prev < 11172 and prev % _JONG_COUNT == 0:
            candidates.append(noun[:-2] + chr(_HANGUL_BASE + prev + _JONG_B))
    if noun.endswith("음"):  # 믿 + 음
        candidates.append(noun[:-1])
    if code % _JONG_COUNT == _JONG_M:  # 슬프 + ㅁ
        candidates.append(noun[:-1] + chr(_HANGUL_BASE + code - _JONG_M))
    for stem in candidates:
        tokens = analyzer.model().tokenize(stem + "다")
        if (
            len(tokens) == 2
            and tokens[0].form == stem
            and _base_tag(tokens[0].tag) in PREDICATE_TAGS
            and tokens[1].tag.startswith("E")
        ):
            return stem + "다"
    return None


def __getattr__(name: str) -> Any:
    """``KiwiTokenizer``: the name Whoosh indexes' tables of contents record
    for the Whoosh engine's tokenizer over an Analyzer (see engines.whoosh.schema)."""
    if name == "KiwiTokenizer":
        from .engines.whoosh.schema import KiwiTokenizer

        return KiwiTokenizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
