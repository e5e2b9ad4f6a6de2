"""The `revsearch` command: a thin click layer over the library; rendering with rich lives here only.

The library's heavy modules (Whoosh, Kiwi, numpy) are imported inside the commands
that use them: a `revsearch query` answered by the resident query server loads none
of them and starts in a fraction of a second."""

from __future__ import annotations

import atexit
import codecs
import errno
import functools
import json
import os
import re
import shlex
import signal
import sys
from collections import Counter
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterator

import click
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from . import resident
from .engines import is_cluster
from .errors import RevsearchError
from .options import BATCH_SIZE, FACETS, GROUPS, SORTS
from .plural import counted
from .request import SearchRequest
from .results import Hit, Passage, Results
from .review import Review

if TYPE_CHECKING:  # pragma: no cover
    from .index import ReviewIndex
    from .ingest.report import IngestReport
    from .readers import ReadOptions

#: Characters of input (review texts, file names, queries) that a terminal would
#: act on rather than show: C0 controls (ESC starts the sequences that set its
#: title, clear the screen or make links), DEL and C1 controls (8-bit CSI and
#: OSC), the bidirectional overrides that reorder what is shown, and lone
#: surrogates, which cannot be printed at all.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: ...and in JSON, which escapes C0 controls itself, the rest as \u escapes: the same text for a program.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

DEFAULT_INDEX = "index"
DEFAULT_CORPUS = "corpus"
#: Examples shown per skip reason in the summary.
EXAMPLES = 3
#: Where there is no colour, each highlighted word is printed between these.
MARKS = ("[", "]")
#: Characters of its text that stand for the title of a review without one.
OPENING = 40
#: Cells of a facet's longest bar, and the most rows a facet in order (dates) shows: its last ones.
BAR_CELLS, FACET_ROWS = 30, 24

index_option = click.option(
    "--index", "index_dir", default=DEFAULT_INDEX, show_default=True,
    type=click.Path(file_okay=False), help="Folder of the index, or typesense://HOST:PORT[,…]/COLLECTION (key in TYPESENSE_API_KEY).",
)
no_resident_option = click.option(
    "--no-resident", is_flag=True,
    help="Search in this process instead of through the resident query server (also: REVSEARCH_RESIDENT=0).",
)
color_option = click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
    help="Colour the results; auto: on a terminal, unless NO_COLOR is set or TERM=dumb. "
    "Without colour, highlights are shown [like this].",
)


class _Interruptible(click.Command):
    """A command that Ctrl-C ends quietly (no traceback, no ``Aborted!``) with
    exit status 130, as a shell reports a command ended by SIGINT."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise SystemExit(130) from None


class _QueryCommand(_Interruptible):
    """``revsearch query``, whose query may start with ``-`` (``-이혼 테오도르``
    is NOT 이혼): the first argument that starts with one ``-`` and is none of
    its options is the query, handed to click after ``--``. An argument with
    two dashes (``--limt``) stays an option, so a typo is a usage error; so is
    an option's long name written with one dash (``-json``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = [p for p in self.get_params(ctx) if isinstance(p, click.Option)]
        valued = {name for p in options if not p.is_flag for name in p.opts}
        named = {name for p in options for name in p.opts + p.secondary_opts}
        args = list(args)
        try:
            n = _dash_query(ctx, args, valued, named)
            if n is not None:
                at = args.index("--") if "--" in args else len(args)
                args[at:at] = ["--", args[n]]
                del args[n]
            return super().parse_args(ctx, list(args))
        except click.NoSuchOption as e:
            if not e.option_name.startswith("--"):
                word = next((a for a in args if a.startswith(e.option_name)), e.option_name)
                e.message = (
                    f"{e.format_message()} A query that starts with - goes after --: "
                    f"revsearch query -- {shlex.quote(word)}"
                )
                e.possibilities = []
            raise


def _dash_query(ctx: click.Context, args: list[str], valued: set[str], named: set[str]) -> int | None:
    """The position in ``args`` of a query that starts with one ``-``, if any,
    given the option names that take a value (``valued``) and all of them."""
    value_next = False
    for n, arg in enumerate(args):
        if value_next:
            value_next = False
        elif arg == "--":
            return None
        elif arg.startswith("--"):
            value_next = arg in valued
        elif arg.startswith("-") and len(arg) > 1:
            if "-" + arg in named:
                raise click.NoSuchOption(arg, possibilities=["-" + arg], ctx=ctx)
            if arg[:2] in valued:
                value_next = len(arg) == 2  # -n 5, not -n5
            elif arg[:2] not in named:
                return n
    return None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="revsearch")
def main() -> None:
    """Full-text search for Korean reviews."""


def _leaves_nothing_if_it_fails(command):
    """A failed `revsearch index` creates nothing: the index folder it made (and
    the parent folders it made) are removed again if no review was committed.
    A folder that was there before the run is left as it is."""

    @functools.wraps(command)
    def run(*args, index_dir: str, **kwargs):
        if is_cluster(index_dir):  # no folder to leave behind
            return command(*args, index_dir=index_dir, **kwargs)
        folder = Path(index_dir)
        made = next((p for p in reversed([folder, *folder.parents]) if not os.path.lexists(p)), None)
        try:
            return command(*args, index_dir=index_dir, **kwargs)
        except BaseException:
            from .index import discard_empty

            if made is not None and discard_empty(folder):
                for parent in folder.parents:
                    if parent == made.parent:
                        break
                    try:
                        parent.rmdir()  # only if empty
                    except OSError:
                        break
            raise

    return run


@main.command("index")
@click.argument("paths", nargs=-1, type=click.Path())
@index_option
@click.option(
    "--field", "fields", multiple=True, metavar="FIELD=COLUMN",
    help="Read a review field from this column of JSON/CSV/TSV exports, e.g. --field body=document.",
)
@click.option("--encoding", help="Read files in this encoding instead of detecting it (e.g. cp949).")
@click.option("--strict", is_flag=True, help="Exit with an error if any file or record was skipped.")
@click.option(
    "--user-dict", type=click.Path(dir_okay=False),
    help="Kiwi user dictionary (TSV: word, tag, score) of names and terms; recorded in a new index.",
)
@click.option(
    "--synonyms", type=click.Path(dir_okay=False),
    help="Synonym file (넷플릭스, Netflix / 허 => Her) recorded with the index, replacing the one recorded; "
    "with no PATHS, only that (no rebuild needed).",
)
@click.option("--rebuild", is_flag=True, help="Start from an empty index instead of updating it.")
@click.option(
    "--batch-size", default=BATCH_SIZE, show_default=True, type=click.IntRange(min=1),
    help="Commit every N reviews: a crash or Ctrl-C keeps what was committed.",
)
@click.option(
    "--wait", default=0.0, show_default=True, type=click.FloatRange(min=0), metavar="SECONDS",
    help="Wait this long for another process writing the same index, instead of failing at once.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary (errors are still reported).")
@click.option(
    "--verbose", "-v", is_flag=True,
    help="List every file skipped, still skipped or of another type, not only the first few.",
)
@_leaves_nothing_if_it_fails
def index_cmd(
    paths: tuple[str, ...], index_dir: str, fields: tuple[str, ...], encoding: str | None, strict: bool,
    user_dict: str | None, synonyms: str | None, rebuild: bool, batch_size: int, wait: float, quiet: bool,
    verbose: bool,
) -> None:
    """Index review files and folders (default: corpus/). Re-running reads only
    files that changed, and drops the reviews of files that are gone; files
    that could not be read are not read again until they change."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from .index import ReviewIndex
    from .ingest.report import IndexingInterrupted
    from .meta import has_index

    if synonyms and not paths and not rebuild and has_index(Path(index_dir)):
        _set_synonyms(index_dir, synonyms, wait, quiet)
        return
    if not paths and not Path(DEFAULT_CORPUS).exists():
        raise Failure(
            f"no {DEFAULT_CORPUS}/ folder in {Path.cwd()} (read when no path is given): name the review files or "
            f"folders to index, `revsearch index PATH... --index {shlex.quote(index_dir)}`"
        )
    options = _read_options(fields, encoding)
    err = Console(stderr=True)
    on_wait = lambda message: err.print(_safe(message), soft_wrap=True)  # noqa: E731
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with Progress(
            SpinnerColumn(), TextColumn("[progress.description]{task.description}"), BarColumn(),
            TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=err, transient=True, disable=quiet or not err.is_terminal,  # not even a blank line in a log
        ) as bar:
            task = bar.add_task("indexing", total=None, counts="")

            def progress(done: int, total: int, path: Path, reviews: int) -> None:
                elapsed = bar.tasks[task].elapsed or 0.0
                rate = reviews / elapsed if elapsed else 0.0
                counts = f"{done:,}/{counted(total, 'file')} · {counted(reviews, 'review')} · {rate:,.0f}/s"
                bar.update(task, completed=done, total=total, description=f"indexing {_safe(path.name)}", counts=counts)

            def on_load(started: bool) -> None:
                # shown now: Kiwi holds the GIL for most of its load, when the bar's own thread cannot draw it
                bar.update(task, description="loading the Korean analyzer…" if started else "indexing", refresh=True)

            opener = ReviewIndex.create if rebuild else ReviewIndex.open_or_create
            with opener(index_dir, user_dict, wait=wait, on_wait=on_wait, on_load=on_load, synonyms=synonyms) as ix:
                report = ix.add_paths(
                    paths or [DEFAULT_CORPUS], progress=progress, options=options, batch_size=batch_size, on_load=on_load,
                )
                count = len(ix)
    except IndexingInterrupted as e:
        err.print(f"[yellow]{_safe(e)}[/]", soft_wrap=True)
        raise SystemExit(130) from e
    except KeyboardInterrupt:
        err.print("[yellow]interrupted before indexing began; nothing was changed[/]")
        raise SystemExit(130) from None
    except RevsearchError as e:
        raise Failure(e) from e
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not quiet:
        _print_summary(err, report, index_dir, count, verbose)
    if report.nothing_indexed:
        raise Failure("nothing was indexed")
    if strict and (report.skipped or report.still_skipped):
        still = f", {len(report.still_skipped):,} of them unchanged since the last run" if report.still_skipped else ""
        raise Failure(f"{len(report.skipped) + len(report.still_skipped):,} skipped{still} (--strict)")


def _set_synonyms(index_dir: str, path: str, wait: float, quiet: bool) -> None:
    """`revsearch index --synonyms FILE` without paths: record FILE's synonyms with the index, and say so."""
    from .index import ReviewIndex

    err = Console(stderr=True, highlight=False)
    try:
        with ReviewIndex.open(index_dir, wait=wait, on_wait=lambda m: err.print(_safe(m), soft_wrap=True)) as ix:
            with _loading():
                ix.set_synonyms(path)
            rules = len(ix.synonyms or ())
    except RevsearchError as e:
        raise Failure(e) from e
    if not quiet:
        err.print(f"{counted(rules, 'synonym rule')} of {_safe(path)} recorded in {_safe(_where(index_dir))}; no rebuild needed", soft_wrap=True)


def _read_options(fields: tuple[str, ...], encoding: str | None) -> ReadOptions:
    from .readers import ReadOptions

    mapping = {}
    for spec in fields:
        name, sep, column = spec.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise click.BadParameter(f"{spec!r} is not FIELD=COLUMN", param_hint="--field")
        mapping[name.strip()] = column.strip()
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise click.BadParameter(f"unknown encoding {encoding!r}", param_hint="--encoding") from None
    try:
        return ReadOptions(encoding=encoding, fields=mapping)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--field") from e


def _interrupt(signum, frame) -> None:
    """SIGTERM stops indexing as Ctrl-C does: the batch in progress is dropped, the last commit kept."""
    raise KeyboardInterrupt


def _print_summary(console: Console, report: IngestReport, index_dir: str, count: int, verbose: bool) -> None:
    """What the run did; the problems grouped by kind, the first few of each (all with ``verbose``)."""
    console.print(
        f"[bold]{counted(report.reviews_indexed, 'review')}[/] indexed from [bold]{counted(report.files_read, 'file')}[/] "
        f"into {_safe(_where(index_dir))} ({counted(count, 'review')} in the index); [bold]{len(report.skipped):,}[/] skipped",
        soft_wrap=True, highlight=False,
    )
    console.print(
        f"files: {report.unchanged:,} unchanged, {report.changed:,} changed, {report.new:,} new, {report.removed:,} removed",
        highlight=False,
    )
    more = "" if verbose else " (--verbose lists them)"
    if report.still_skipped:
        kinds = "; ".join(report.by_kind(report.still_skipped))
        console.print(
            f"[yellow]{counted(len(report.still_skipped), 'file')} still skipped[/], unchanged since the last run "
            f"({_safe(kinds)}); each is read again once it changes{more}", soft_wrap=True, highlight=False,
        )
        if verbose:
            _print_examples(console, report.still_skipped, None)
    if report.others:
        counts = Counter(p.suffix.lower() or "no extension" for p in report.others)
        suffixes = sorted(counts, key=lambda suffix: (-counts[suffix], suffix))
        listed = ", ".join(suffixes[:EXAMPLES * 2]) + (", …" if len(suffixes) > EXAMPLES * 2 else "")
        console.print(
            f"{counted(len(report.others), 'file')} of other types not read: {_safe(listed)}{more}",
            soft_wrap=True, highlight=False,
        )
        if verbose:
            for path in report.others:
                console.print(shown(f"    {path}"), soft_wrap=True, highlight=False, markup=False)
    for label, skips in (("skipped", report.skipped), ("indexed, but", report.warnings)):
        for kind, group in report.by_kind(skips).items():
            console.print(f"  [yellow]{label} {len(group):,}[/]: {_safe(kind)}", highlight=False)
            _print_examples(console, group, None if verbose else EXAMPLES)


def _print_examples(console: Console, problems: list, most: int | None) -> None:
    """Each problem's place and reason, one a line; the first ``most`` (None: all)."""
    for problem in problems[:most]:
        console.print(shown(f"    {problem.where}: {problem.reason}"), soft_wrap=True, highlight=False, markup=False)
    if most is not None and len(problems) > most:
        console.print(f"    … and {len(problems) - most:,} more", highlight=False)


@main.command("check")
@index_option
def check_cmd(index_dir: str) -> None:
    """Read the whole index and report anything missing or damaged."""
    from .check import check

    try:
        report = check(index_dir)
    except RevsearchError as e:
        raise Failure(e) from e
    out = Console()
    for note in report.notes:
        out.print(f"[yellow]![/] {_safe(note)}", soft_wrap=True)
    if report.problems:
        for problem in report.problems:
            out.print(f"[red]✗[/] {_safe(problem)}", soft_wrap=True)
        raise Failure(
            f"{len(report.problems)} problem(s) in {index_dir}; "
            f"{report.rebuild} rebuilds the index"
        )
    held = f"{report.reviews} reviews, {report.files} files recorded; its collection and records answer" if is_cluster(
        index_dir
    ) else (
        f"{report.reviews} reviews in {report.segments} segment(s), {report.files} files recorded; "
        "every review, term and posting was read"
    )
    out.print(f"[green]✓[/] {_safe(index_dir)}: {held}", soft_wrap=True)


@main.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_cmd(index_dir: str, as_json: bool) -> None:
    """What the index holds: reviews, files, dates, ratings, the most reviewed
    items and most prolific authors, its size on disk and its analyzer's settings."""
    from .index import ReviewIndex

    try:
        with ReviewIndex.open(index_dir) as ix:
            stats = ix.stats()
    except RevsearchError as e:
        raise Failure(e) from e
    with _reader_may_leave():
        if as_json:
            click.echo(json_text(stats.to_dict()))
            return
        out = _results_console("auto")
        dates = f"{stats.first_date} to {stats.last_date}" if stats.first_date else "no dates"
        words = stats.user_dict["entries"]
        user_dict = counted(words, 'entry', 'entries') + (f" from {stats.user_dict['file']}" if stats.user_dict["file"] else "")
        rules = stats.synonyms["rules"]
        synonyms = counted(rules, 'rule') + (f" from {stats.synonyms['file']}" if stats.synonyms["file"] else "")
        for line in (
            f"{counted(stats.reviews, 'review')} from {counted(stats.files, 'file')} in {_where(index_dir)}, "
            + ("in a cluster" if is_cluster(index_dir) else f"{stats.size / 1e6:,.1f} MB on disk") + f" ({stats.engine})",
            f"dates: {dates}",
            f"user dictionary: {user_dict if words else 'none'}",
            f"synonyms: {synonyms if rules else 'none'}",
            f"built from: {', '.join(stats.sources) or 'reviews added by a program'}",
        ):
            out.print(Text(shown(line)))
        out.print()
        for name, rows in (("rating", stats.ratings), ("year", stats.years), ("top items", stats.top_items),
                           ("top authors", stats.top_authors)):
            _render_facet(out, name, rows)


@main.command("shell", cls=_Interruptible)
@index_option
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=1), help="Most hits to show.")
@color_option
def shell_cmd(index_dir: str, limit: int, color: str) -> None:
    """Search interactively: the index and Kiwi load once, then each query
    answers in milliseconds. Up/down recall earlier queries; Ctrl-C cancels
    the line or the query under way; an empty line or Ctrl-D quits."""
    from .index import ReviewIndex

    out = _results_console(color)
    try:
        ix = ReviewIndex.open(index_dir)
        with _loading():
            ix.analyzer.model()  # loads Kiwi now rather than on the first query
    except RevsearchError as e:
        raise Failure(e) from e
    history = _history()
    out.print(f"[dim]{len(ix)} reviews in {_safe(_where(index_dir))} · empty line or Ctrl-D to quit[/]")
    with ix, _reader_may_leave():
        _shell_loop(out, ix, limit)
    if history:
        history()


def _shell_loop(out: Console, ix: ReviewIndex, limit: int) -> None:
    """Answer the queries typed until an empty line or Ctrl-D. Ctrl-C cancels
    the line being typed, or the query being answered, and prompts again (as
    python and psql do)."""
    while True:
        try:
            query = input("revsearch> ").strip()
        except EOFError:
            out.print()
            return
        except KeyboardInterrupt:
            out.print()
            continue
        if not query:
            return
        try:
            _render(out, ix.search(query, limit))
        except KeyboardInterrupt:
            out.print("[dim]cancelled[/]")
        except RevsearchError as e:
            out.print(f"[red]{_safe(e)}[/]", soft_wrap=True)
        except Exception as e:  # a bug of revsearch: said in one line, and the shell goes on
            out.print(
                f"[red]revsearch failed on this query ({_safe(type(e).__name__)}: {_safe(e)}); "
                "please report it with the query[/]", soft_wrap=True,
            )


def _history():
    """Line editing and a history file (~/.revsearch_history) where readline
    exists; returns the function that saves the history, or None."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return None
    path = Path.home() / ".revsearch_history"
    try:
        readline.read_history_file(path)
    except OSError:
        pass

    def save() -> None:
        try:
            readline.write_history_file(path)
        except OSError:
            pass

    return save


def _date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--since / --until: read as date: reads a date in a query, or an error naming the option."""
    from .dates import PERIOD_FORMS, parse_period

    if value is not None and parse_period(value) is None:
        raise Failure(f"cannot read the date {value!r} given to --{param.name}; write it as {PERIOD_FORMS}")
    return value


@main.command("query", cls=_QueryCommand)
@click.argument("query")
@index_option
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=1), help="Most hits to show.")
@click.option("--author", help="Only reviews by this author.")
@click.option("--since", callback=_date_option, help="Only reviews written on or after this day, month or year (YYYY-MM-DD, YYYY-MM, YYYY).")
@click.option("--until", callback=_date_option, help="Only reviews written on or before this day, month or year.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True, help="date: newest first; rating: highest first.")
@click.option("--reverse", is_flag=True, help="Oldest or lowest first (with --sort date or rating).")
@click.option("--page", type=click.IntRange(min=1), help="Show this page of results (1: the first), --limit hits a page.")
@click.option("--offset", type=click.IntRange(min=0), help="Skip this many hits (instead of --page).")
@click.option("--group", type=click.Choice(GROUPS), help="The best review of each item or author, with how many match.")
@click.option("--explain", is_flag=True, help="Show why each hit ranks where it does.")
@click.option(
    "--facets", default="", metavar="NAMES",
    help=f"Count these over all the reviews matched, comma-separated: {','.join(FACETS)}.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (highlights as character offsets).")
@no_resident_option
@color_option
def query_cmd(
    query: str, index_dir: str, limit: int, author, since, until, sort: str, reverse: bool, page: int | None,
    offset: int | None, group: str | None, explain: bool, facets: str, as_json: bool, no_resident: bool, color: str,
) -> None:
    """Search the index for QUERY (in quotes when it holds spaces). Queries:

    \b
      외로움 사만다                     both words first, then either
      "디지털 노마드"                   the words side by side, in that order
      외로움 OR 고독                    either word
      -이혼 테오도르                    테오도르 but not 이혼 (also: NOT 이혼)
      +사만다 외로움                    사만다 required (also: 사만다 AND 외로움)
      (외로움 OR 고독) AND 사만다       grouping
      title:외로움 keywords:노마드      a word in title, body, keywords, category
      author:관리자 item:10002          an exact author, item, id or source
      date:2025-04-02 date:2025-04      a day, a month
      date:[2025-03-01 TO *]            dates from 1 March 2025
      rating:[8 TO 10] rating:{* TO 5}  ratings ({} leaves out the ends)
      item:10002 rating:[1 TO 2]        only filters; * alone is every review

    Exit status: 0 reviews found, 1 none matched, 2 an error, 130 Ctrl-C.

    The first query starts a resident server that keeps the index and Kiwi
    loaded, so the next ones answer in a fraction of a second (see
    `revsearch resident --help`)."""
    if page is not None and offset is not None:
        raise Failure(f"give --page or --offset, not both: --page {page} is --offset {(page - 1) * limit} with --limit {limit}")
    try:
        names = tuple(name.strip() for name in facets.split(",") if name.strip())
        request = SearchRequest(
            query, limit, author=author, since=since, until=until, sort=sort, reverse=reverse,
            offset=(page - 1) * limit if page else offset or 0, group=group, explain=explain, facets=names,
        )
    except RevsearchError as e:
        raise Failure(e) from e
    _print_results(_served(resident.search, index_dir, no_resident, request), as_json, color)


def _served(ask: Callable[..., dict[str, Any]], index_dir: str, no_resident: bool, *args: Any) -> dict[str, Any]:
    """The answer of ``ask`` (resident.search, similar or suggest) for the
    index in ``index_dir``, through its resident server unless
    ``no_resident``; what goes wrong a one-line error."""
    try:
        return ask(
            index_dir, *args, resident=not no_resident, loading=_loading,
            started=lambda server: _announce_server(server, index_dir),
        )
    except RevsearchError as e:
        raise Failure(e) from e


def _print_results(found: dict[str, Any], as_json: bool, color: str) -> None:
    """Print results (``Results.to_dict()``) as JSON or for a reader, and exit
    1 if no review matched (as grep). A page past the end of what matched is
    an error (exit 2): the command asked for something that is not there."""
    if not found["hits"] and found["total"] and found.get("offset"):
        raise Failure(past_the_end(Results.from_dict(found)))
    exit_code = 0 if found["hits"] else 1
    with _reader_may_leave(exit_code):
        if as_json:
            click.echo(json_text(found))
        else:
            _render(_results_console(color), Results.from_dict(found))
    if exit_code:
        raise SystemExit(exit_code)


@main.command("similar", cls=_Interruptible)
@click.argument("review_id", metavar="ID")
@index_option
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=1), help="Most hits to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (highlights as character offsets).")
@no_resident_option
@color_option
def similar_cmd(review_id: str, index_dir: str, limit: int, as_json: bool, no_resident: bool, color: str) -> None:
    """The reviews most like the review with id ID: its most telling words
    (weighed as BM25 weighs them) searched for in the others.

    Exit status: 0 reviews found, 1 none alike, 2 an error (an unknown ID)."""
    _print_results(_served(resident.similar, index_dir, no_resident, review_id, limit), as_json, color)


@main.command("suggest")
@click.argument("prefix")
@index_option
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(min=1), help="Most words to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@no_resident_option
def suggest_cmd(prefix: str, index_dir: str, limit: int, as_json: bool, no_resident: bool) -> None:
    """Words of the index starting with PREFIX, as typed key by key (사, 삼,
    사만 all reach 사만다) or as initial consonants (ㅅㅁㄷ), the most frequent
    first. Exit status: 0 found, 1 none, 2 an error."""
    found = _served(resident.suggest, index_dir, no_resident, prefix, limit)
    exit_code = 0 if found["completions"] else 1
    with _reader_may_leave(exit_code):
        if as_json:
            click.echo(json_text(found))
        else:
            for completion in found["completions"]:
                click.echo(f"{shown(completion['text'])}\t{completion['reviews']}")
    if exit_code:
        raise SystemExit(exit_code)


def _notes() -> Console | None:
    """Where to say what is slow or stays running: stderr when it is an
    interactive terminal; None when it is piped or redirected (scripts see
    nothing of it), TERM=dumb or TTY_INTERACTIVE=0."""
    err = Console(stderr=True, highlight=False)
    return err if sys.stderr.isatty() and err.is_interactive else None


def _loading() -> ContextManager[Any]:
    """A spinner on stderr while Kiwi loads (see :func:`_notes`)."""
    err = _notes()
    return err.status("loading the Korean analyzer…") if err else nullcontext()


def _announce_server(server: dict[str, Any], index_dir: str) -> None:
    """Say (see :func:`_notes`) that a query started the resident server of
    ``index_dir``: its pid and memory, when it exits, how to stop it."""
    err = _notes()
    if err:
        stop = f"revsearch resident stop --index {shlex.quote(index_dir)}"
        err.print(
            f"[dim]started a resident query server for {_safe(_where(index_dir))} (pid {server['pid']}, "
            f"{_memory(server.get('rss'))}): it keeps the index and Kiwi loaded so that the next queries answer "
            f"at once, and exits after {_duration(server['idle_limit_s'])} without a query. "
            f"To stop it now: {_safe(stop)}[/]",
            soft_wrap=True,
        )


def _memory(size: object) -> str:
    return f"{size / 1e6:,.0f} MB" if isinstance(size, (int, float)) else "memory unknown"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} s"


@main.group("resident")
def resident_group() -> None:
    """List or stop the resident query servers.

    `revsearch query` starts one per index; it keeps the index and Kiwi loaded
    until 10 minutes pass without a query (REVSEARCH_RESIDENT_IDLE seconds).
    REVSEARCH_RESIDENT=0 turns them off."""


@resident_group.command("status")
def resident_status_cmd() -> None:
    """List the running resident servers of this user."""
    try:
        running = resident.servers()
    except RevsearchError as e:
        raise Failure(e) from e
    out = Console(highlight=False)
    if not resident.enabled():
        out.print("resident mode is off (REVSEARCH_RESIDENT)")
    if not running:
        out.print("no resident server is running")
    for server in running:
        out.print(
            f"pid {server['pid']}  {_safe(server['index'])}  {_memory(server.get('rss'))}, up {server['up_s']:.0f} s, "
            f"last query {server['idle_s']:.0f} s ago, exits in {server['exits_in_s']:.0f} s",
            soft_wrap=True,
        )


@resident_group.command("stop")
@index_option
@click.option("--all", "every", is_flag=True, help="Stop the servers of every index.")
def resident_stop_cmd(index_dir: str, every: bool) -> None:
    """Stop the resident server of an index (the next query starts another)."""
    try:
        if every:
            stopped = resident.stop_all()
        else:
            pid = resident.stop(index_dir)
            stopped = [] if pid is None else [pid]
    except RevsearchError as e:
        raise Failure(e) from e
    if not stopped:
        click.echo("no resident server was running" + ("" if every else f" for {shown(index_dir)}"))
    for pid in stopped:
        click.echo(f"stopped the resident server with pid {pid}")


@main.group("cluster")
def cluster_group() -> None:
    """Start or stop a local Typesense cluster, to try the Typesense engine (experimental).

    Its servers bind 127.0.0.1 only; their data and logs go in the folder named."""


@cluster_group.command("start")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--nodes", default=3, show_default=True, type=click.IntRange(1, 9), help="How many servers (Raft nodes).")
def cluster_start_cmd(folder: str, nodes: int) -> None:
    """Start NODES typesense-server processes on free loopback ports, wait
    for a leader, and print the index URL and the API key to export."""
    from .engines.typesense.cluster import LocalCluster

    try:
        cluster = LocalCluster.start(folder, nodes)
    except RevsearchError as e:
        raise Failure(e) from e
    click.echo(f"# {counted(nodes, 'node')} running; stop with: revsearch cluster stop {shlex.quote(folder)}")
    click.echo(f"export TYPESENSE_API_KEY={cluster.api_key}")
    click.echo(cluster.url())


@cluster_group.command("stop")
@click.argument("folder", type=click.Path(file_okay=False))
def cluster_stop_cmd(folder: str) -> None:
    """Stop every server of the local cluster in FOLDER (its data stays)."""
    from .engines.typesense.cluster import LocalCluster

    try:
        stopped = LocalCluster.of(folder).stop()
    except RevsearchError as e:
        raise Failure(e) from e
    click.echo(f"stopped {counted(len(stopped), 'server')}" + (f" (pids {', '.join(map(str, stopped))})" if stopped else ""))


def _results_console(color: str) -> Console:
    """The console results are printed on (stdout). With ``color`` ``auto``, in
    colour on a terminal unless NO_COLOR is set or TERM is dumb; without
    colour, :func:`_render` brackets the highlights. On a terminal long lines
    wrap; to a pipe or file each line is written whole (``soft_wrap``)."""
    terminal = sys.stdout.isatty()
    colored = color == "always" or (
        color == "auto" and terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    )
    return _Stdout(color_system="standard" if colored else None, no_color=False, soft_wrap=not terminal, highlight=False)


class _Stdout(Console):
    """A console on stdout whose closed pipe reaches :func:`_reader_may_leave`
    (rich's own handling exits with status 1, which means no review matched)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


@contextmanager
def _reader_may_leave(exit_code: int = 0) -> Iterator[None]:
    """Output to stdout that ends the command quietly, with ``exit_code``, when
    its reader has gone (``| head -1``), as grep does: no traceback, and no
    error either when the interpreter flushes stdout on its way out."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(exit_code) from None


def _render(console: Console, results: Results) -> None:
    """Print ``results`` on ``console`` (see :func:`_results_console`)."""
    if results.suggestion:
        console.print(f"Did you mean: [bold]{_safe(results.suggestion)}[/]")
    if results.corrections:
        fixed = ", ".join(f"{_safe(typed)} → {_safe(word)}" for typed, word in results.corrections.items())
        console.print(f"[dim]also searched for: {fixed}[/]")
    if not results.hits:
        console.print(f"No reviews match [bold]{_safe(results.query)}[/].")
        return
    shown_ = f"{len(results)}" if not results.offset else f"{results.offset + 1}–{results.offset + len(results)}"
    of = f"{results.total} matching reviews"
    if results.groups is not None:
        of = f"{results.groups} {results.hits[0].group['by']}s ({of})"
    console.print(f"[dim]{shown_} of {of} for[/] [bold]{_safe(results.query)}[/]\n")
    for rank, hit in enumerate(results, results.offset + 1):
        _render_hit(console, rank, hit)
    for name, rows in results.facets.items():
        _render_facet(console, name, rows)


def _render_facet(console: Console, name: str, rows: list[dict[str, Any]]) -> None:
    """A facet as a horizontal bar chart: a row per value, labels padded to
    one width in terminal cells (a Korean letter takes two), bars scaled to
    the largest count. A facet in order shows its last FACET_ROWS rows."""
    console.print(Text(name, style="bold"))
    if not rows:
        console.print(Text("  (none)", style="dim"))
    hidden = len(rows) - FACET_ROWS if name.startswith("date") else 0
    if hidden > 0:
        console.print(Text(f"  … {hidden:,} earlier (--json lists them all)", style="dim"))
        rows = rows[hidden:]
    labels = [shown(_facet_label(name, row)) for row in rows]
    width = max(map(cell_len, labels), default=0)
    most = max((row["count"] for row in rows), default=1)
    for label, row in zip(labels, rows):
        line = Text(f"  {label}{' ' * (width - cell_len(label))}  ")
        line.append("█" * max(1, round(BAR_CELLS * row["count"] / most)), style="cyan")
        line.append(f" {row['count']:,}")
        if "score" in row:
            line.append(f"  {row['score']:.2f}", style="dim")
        console.print(line, no_wrap=True, overflow="ellipsis")
    console.print()


def _facet_label(name: str, row: dict[str, Any]) -> str:
    if name == "terms":
        return row["term"]
    return f"★ {row['value']:g}" if name == "rating" else str(row["value"])  # stats' "year" too


def past_the_end(results: Results) -> str:
    """What a page past the last says (one line, safe to print)."""
    what = "groups" if results.groups is not None else "matching reviews"
    count = results.groups if results.groups is not None else results.total
    return shown(
        f"no hits from {results.offset + 1} on: {results.query!r} has {count} {what}; "
        f"ask for an earlier --page (or a smaller --offset)"
    )


def _render_hit(console: Console, rank: int, hit: Hit) -> None:
    """A hit as lines under its rank: title and score, facts, passages and source.
    In a terminal long lines wrap under the first character of the title (a
    hanging indent); elsewhere each line is printed whole, for grep and cut."""
    review = hit.review
    bracket = console.color_system is None
    titles = [p for p in hit.passages if p.field == "title"]
    title = _marked(titles[0], bracket) if titles else Text(shown(review.title or _opening(review)))
    title.stylize("bold")
    rating = f"★ {review.rating:g}" if review.rating is not None else None
    date = review.date.isoformat() if review.date else None
    item = f"item {review.item}" if review.item and review.title else None  # else it opens the title line
    meta = [m for m in (review.author, date, rating, item, review.category) if m]
    if review.keywords:
        meta.append("#" + " #".join(review.keywords))
    lines = [title + Text(f"  {hit.score:.2f}", style="dim")]
    if meta:
        lines.append(Text(shown(" · ".join(meta)), style="cyan"))
    if hit.group:
        group = hit.group
        lines.append(Text(shown(f"{counted(group['count'], 'matching review')} of {group['by']} {group['value']}"), style="magenta"))
    lines += [_marked(p, bracket) for p in hit.passages if p.field == "body"]
    if hit.explain:
        lines += [Text(line, style="dim") for line in explained(hit.explain)]
    if review.source:
        lines.append(Text(shown(_short_path(review.source)), style="dim"))
    number = Text(f"{rank}. ", style="bold")
    if console.soft_wrap:
        console.print(number + lines[0])
        for line in lines[1:]:
            console.print(Text(" " * len(number)) + line)
    else:
        grid = Table.grid()
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(number, lines[0])
        for line in lines[1:]:
            grid.add_row("", line)
        console.print(grid)
    console.print()


def explained(why: dict[str, Any]) -> list[str]:
    """An explanation (see searcher.explain) as a few lines: the clauses' and
    proximity's BM25F, the re-ranking factors, the plan."""
    parts = [f"{c['field'] + ':' if c['field'] else ''}{c['term']} {c['score']:.2f}" for c in why["clauses"]]
    if why["proximity"]:
        parts.append(f"proximity {why['proximity']:.2f}")
    lines = [f"why: {why['tier'] + ' tier, ' if why['tier'] else ''}BM25F {why['bm25f']:.2f} = " + " + ".join(parts)]
    rerank = why["rerank"]
    if rerank:
        lines.append(
            f"     × {rerank['factor']:.2f} (coverage {rerank['coverage']:.2f}, surface {rerank['surface']:.2f}, "
            f"closeness {rerank['closeness']:.2f}) = {why['score']:.2f}"
        )
    lines.append(f"     plan: {why['plan']}")
    return [shown(line) for line in lines]


def _opening(review: Review) -> str:
    """The title line of a review without a title (NSMC's): its item and the start of its text."""
    text = " ".join(review.body.split())
    if len(text) > OPENING:
        text = text[:OPENING].rstrip() + "…"
    return " · ".join(part for part in (f"item {review.item}" if review.item else "", text) if part) or review.id


def _short_path(source: str) -> str:
    """``source`` resolved (no ``..``, no symlinks), relative to the current folder when that is shorter."""
    path = os.path.realpath(source)
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive, on Windows
        return path
    return relative if len(relative) < len(path) else path


def _marked(passage: Passage, bracket: bool) -> Text:
    """The passage on one line with its matched words highlighted: styled, or
    where there is no colour, each between the :data:`MARKS`."""
    text = shown(passage.text)
    if not bracket:
        marked = Text(text)
        for start, end in passage.highlights:
            marked.stylize("bold yellow reverse", start, end)
        return marked
    pieces, at = [], 0
    for start, end in sorted(passage.highlights):
        if end > at:  # not within the last one
            start = max(start, at)
            pieces += [text[at:start], MARKS[0], text[start:end], MARKS[1]]
            at = end
    return Text("".join(pieces) + text[at:])


class Failure(click.ClickException):
    """An error reported as click does (``Error: …``), its message made safe to
    print (see :func:`shown`): it may quote a file name or a query. Exit code 2,
    as grep's and ripgrep's errors: 1 means only that no review matched."""

    exit_code = 2

    def __init__(self, message: object):
        super().__init__(str(message))

    def format_message(self) -> str:
        return shown(self.message)


def _where(index_dir: str) -> str:
    """An index location as the messages name it: a folder with a slash, a cluster address as it is."""
    return index_dir if is_cluster(index_dir) else f"{index_dir}/"


def shown(text: str) -> str:
    """``text`` safe to print on a terminal: line breaks and tabs as spaces,
    other controls as their visible symbols (␛ for ESC), bidirectional
    overrides and lone surrogates as U+FFFD. One character for one, so
    highlight offsets still hold."""
    return _UNSAFE.sub(_visible, text)


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    if code in (0x09, 0x0A, 0x0D):
        return " "
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode's Control Pictures: ␀ … ␟
    return "\u2421" if code == 0x7F else "\ufffd"


def _safe(value: object) -> str:
    """``value`` as text to print inside rich markup: safe (:func:`shown`), its brackets escaped."""
    return escape(shown(str(value)))


def json_text(data: object) -> str:
    """``data`` as JSON for ``--json``: UTF-8 text, but for the characters a
    terminal would act on and lone surrogates, written as ``\\uXXXX`` escapes,
    so the output is safe to print and a program reads exactly what is stored."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def run() -> None:
    """The ``revsearch`` command: :func:`main`, then out of the process without
    tearing it down. Freeing Kiwi's model and the run's objects took 0.45 s,
    4% of indexing 20,000 reviews, and every search that loaded Kiwi paid it
    too. What the interpreter would do that matters is done first: the atexit
    functions, and the output flushed (a reader gone by then changes nothing)."""
    try:
        main()
    except SystemExit as e:  # how click ends every command
        if not (e.code is None or isinstance(e.code, int)):
            raise
        code = e.code or 0
    else:  # pragma: no cover - click's main always exits
        code = 0
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
