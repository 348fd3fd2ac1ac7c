"""leads: the sales reps' command-line tool for the lead store and the notification outbox.

Exit codes: 0 done, 1 not found or refused (or the database cannot be reached), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from integrations.leads import export, privacy, queries, render, report
from integrations.leads.arguments import positive_int
from integrations.leads.queries import LeadFilter, NotFoundError, RefusedError
from integrations.leads.transcript_links import InvalidLinkError, resolve, token_of
from integrations.leads.transcripts import (
    TranscriptUnavailableError,
    load_transcript,
    sqlite_path,
    tracker_url,
)
from integrations.store.db import transaction
from integrations.store.leads import utcnow
from integrations.store.models import Takeover
from integrations.store.people import history

EXAMPLES = """\
examples:
  leads list --stage SQL --overdue          hot leads nobody has contacted in time
  leads list --rep "Maria López" --status claimed
  leads show 42                             every detail, the person's other conversations, the transcript
  leads transcript https://…/transcripts/…  the conversation behind a notification's transcript link
  leads claim 42 --rep "Maria López"        take the lead (refused if another rep has it)
  leads contacted 42                        the visitor was contacted: no longer overdue
  leads export --format csv --output leads.csv --stage SQL
  leads outbox --status dead                notifications that gave up
  leads retry --all-dead                    queue them again for the dispatcher
  leads export-person --email a@b.example   everything stored about one person, as JSON
  leads erase --email a@b.example --yes     delete it (without --yes: only show what would go)
  leads purge --older-than-days 365 --yes   retention (default N: RETENTION_DAYS)
  leads report --since 2026-11-01 --output report.html   funnel, drop-off per question, variants
  leads rep-password priya                  a rep console password hash for reps.yml (asks twice)

The lead store is DATABASE_URL (default sqlite:///var/leads.db); transcripts come from Rasa's
tracker store, TRACKER_DB_URL (default sqlite:///var/tracker.db). Both are read from .env too.
"""


class CommandError(Exception):
    """A problem the user can fix, reported in one line with exit code 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "retry" and bool(args.ids) == bool(args.all_dead):
            args.subparser.error("give notification ids or --all-dead (one of the two)")
    except SystemExit as exit_:  # argparse: --help exits 0, mistakes exit 2
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        return args.handler(args)
    except (NotFoundError, RefusedError, CommandError, privacy.PrivacyCommandError) as error:
        print(f"leads: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        print(f"leads: the lead store cannot be used: {reason}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leads",
        description="List, inspect, claim and export leads; list and retry rep notifications.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, handler: Callable[[argparse.Namespace], int], summary: str, details: str = ""
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=f"{summary} {details}".strip())
        sub.set_defaults(handler=handler, subparser=sub)
        return sub

    listing = command("list", cmd_list, "Leads as a table, newest first.")
    _add_filters(listing, default_limit=50)

    show = command("show", cmd_show, "Every field of one lead, its notifications and its conversation transcript.")
    show.add_argument("id", type=positive_int, help="lead id (first column of `leads list`)")

    opening = command(
        "transcript",
        cmd_transcript,
        "Check a transcript link from a notification (signature and expiry) and print its conversation.",
    )
    opening.add_argument("link", help="the link (or its last part, the token)")

    claim = command("claim", cmd_claim, "Assign a lead to yourself; refused if another rep has it.")
    claim.add_argument("id", type=positive_int, help="lead id")
    claim.add_argument("--rep", required=True, metavar="NAME", help="your name as in the rep list")
    claim.add_argument("--force", action="store_true", help="take the lead over from another rep")

    contacted = command("contacted", cmd_contacted, "Record that the visitor was contacted (no longer overdue).")
    contacted.add_argument("id", type=positive_int, help="lead id")
    contacted.add_argument("--rep", metavar="NAME", help="who contacted them (assigns the lead if it has no rep)")
    contacted.add_argument("--force", action="store_true", help="record it even though another rep has the lead")

    exporting = command(
        "export",
        cmd_export,
        "Every field of the matching leads as CSV or JSON.",
        "JSON keeps every value verbatim; in CSV, JSON fields are JSON text and a cell that a spreadsheet "
        "would run as a formula (=, +, -, @) starts with an apostrophe.",
    )
    exporting.add_argument("--format", required=True, choices=("csv", "json"), help="output format")
    exporting.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    _add_filters(exporting, default_limit=None)

    outbox = command("outbox", cmd_outbox, "Notifications to reps and CRMs, newest first.")
    outbox.add_argument("--status", choices=queries.NOTIFICATION_STATUSES, help="only notifications in this state")
    outbox.add_argument("--limit", type=positive_int, default=50, metavar="N", help="at most N rows (default 50)")

    retry = command(
        "retry",
        cmd_retry,
        "Queue notifications again: pending, due now, attempts reset.",
        "The dispatcher (python -m integrations.outbox.worker) delivers them on its next round.",
    )
    retry.add_argument("ids", nargs="*", type=positive_int, metavar="ID", help="notification ids")
    retry.add_argument("--all-dead", action="store_true", help="every notification that gave up")
    retry.add_argument("--force", action="store_true", help="also queue notifications already sent (sent twice)")

    reporting = command(
        "report",
        cmd_report,
        "Where visitors drop off and which wording works: the funnel, each question, variants, stage mix, hand-off.",
        "Counts the conversations that started in the period (abandoned ones included, from their answers "
        "only) and the leads created in it. How to read it: docs/marketers.md.",
    )
    reporting.add_argument("--since", type=report.moment, metavar="DATE", help="from this date or ISO time (UTC)")
    reporting.add_argument(
        "--until", type=report.until_moment, metavar="DATE", help="up to this date (included) or before this time"
    )
    reporting.add_argument("--format", choices=report.FORMATS, default="html", help="html (default), csv or json")
    reporting.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")

    password = command(
        "rep-password",
        cmd_rep_password,
        "Make the Argon2id hash of a rep console password, to paste into reps.yml under the rep's `console:`.",
        "Asks for the password twice (or reads one line from standard input with --stdin); prints the YAML block.",
    )
    password.add_argument("username", help="the rep's console username (lower-case letters, digits, . _ -)")
    password.add_argument("--stdin", action="store_true", help="read the password from standard input")

    privacy.add_commands(
        command,
        privacy.Context(store_url=lead_store_url, output_path=_caller_path, now=_now, files=local_files),
    )
    return parser


def cmd_rep_password(args: argparse.Namespace) -> int:
    import getpass
    import re

    from integrations.console.accounts import hash_password

    if not re.fullmatch(r"[a-z0-9._-]{1,64}", args.username):
        raise CommandError("a username is 1 to 64 lower-case letters, digits, dots, dashes or underscores")
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise CommandError("the two passwords differ")
    if len(password) < 12:
        raise CommandError("use at least 12 characters")
    print("    console:")
    print(f"      username: {args.username}")
    print(f"      password_hash: '{hash_password(password)}'")
    return 0


def _add_filters(parser: argparse.ArgumentParser, *, default_limit: int | None) -> None:
    parser.add_argument("--stage", type=str.upper, choices=queries.STAGES, help="SQL (hot), MQL (warm) or IQL (cold)")
    parser.add_argument("--status", type=str.lower, choices=queries.STATUSES, help="where the lead is in follow-up")
    parser.add_argument("--rep", metavar="NAME", help="leads assigned to this rep (case-insensitive)")
    parser.add_argument("--overdue", action="store_true", help="past the follow-up deadline and not contacted")
    limit_help = f"at most N leads (default {default_limit})" if default_limit else "at most N leads (default all)"
    parser.add_argument("--limit", type=positive_int, default=default_limit, metavar="N", help=limit_help)


def _filters(args: argparse.Namespace) -> LeadFilter:
    return LeadFilter(stage=args.stage, status=args.status, rep=args.rep, overdue=args.overdue, limit=args.limit)


def lead_store_url() -> str:
    from integrations.settings import Settings  # also loads .env, which may set TRACKER_DB_URL

    url = Settings.from_env().database_url  # a relative SQLite path already made the project's
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise CommandError(f"no lead store at {path}; create it with `make migrate`")
    return url


def local_files() -> privacy.LocalFiles:
    """The outbox log and the spool (with its set-aside lines) of this installation."""
    from integrations.settings import PROJECT_ROOT, Settings

    settings = Settings.from_env()
    log, spool = (
        path if path.is_absolute() else PROJECT_ROOT / path for path in (settings.outbox_log, settings.lead_spool)
    )
    return privacy.LocalFiles(log, (spool, spool.with_name(spool.name + ".bad")))


def _now() -> datetime:
    return utcnow()


def cmd_list(args: argparse.Namespace) -> int:
    now = _now()
    with transaction(lead_store_url()) as session:
        leads = list(session.scalars(queries.select_leads(_filters(args), now)))
        print(render.leads_table(leads, now, queries.earlier_leads(session, leads)))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    now = _now()
    with transaction(lead_store_url()) as session:
        lead = queries.get_lead(session, args.id)
        notifications = queries.lead_notifications(session, lead)
        url = tracker_url()
        try:
            lines = load_transcript(url, lead.conversation_id)
            started = f", started {lines[0].at:%Y-%m-%d %H:%M} UTC" if lines and lines[0].at else ""
            note = f"{len(lines)} messages{started}, from {_redacted(url)}"
        except TranscriptUnavailableError as error:
            lines, note = None, f"not available: {error}"
        person, others = queries.person_of(session, lead), history(session, lead)
        taken = session.scalars(
            select(Takeover).where(Takeover.conversation_id == lead.conversation_id).order_by(Takeover.taken_at)
        ).all()
        print(render.lead_details(lead, notifications, lines, note, now, person, others, taken))
    return 0


def cmd_transcript(args: argparse.Namespace) -> int:
    from integrations.settings import Settings

    store = lead_store_url()
    settings = Settings.from_env()
    try:
        conversation_id = resolve(store, settings.transcript_link_secret or "", token_of(args.link), _now())
        lines = load_transcript(tracker_url(), conversation_id)
    except (InvalidLinkError, TranscriptUnavailableError) as error:
        raise CommandError(f"transcript not available: {error}") from error
    print(render.transcript_text(lines) if lines else "no messages")
    return 0


def cmd_claim(args: argparse.Namespace) -> int:
    with transaction(lead_store_url()) as session:
        change = queries.claim_lead(session, args.id, args.rep, force=args.force, now=_now())
    print(render.clean(change.message))
    return 0


def cmd_contacted(args: argparse.Namespace) -> int:
    with transaction(lead_store_url()) as session:
        change = queries.mark_contacted(session, args.id, args.rep, force=args.force, now=_now())
    print(render.clean(change.message))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    write = export.write_csv if args.format == "csv" else export.write_json
    with transaction(lead_store_url()) as session:
        leads = list(session.scalars(queries.select_leads(_filters(args), _now())))
    if not args.output:
        write(leads, sys.stdout)
        return 0
    path = _caller_path(args.output)
    try:
        with open(path, "w", encoding="utf-8", newline="") as out:
            count = write(leads, out)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from error
    print(f"wrote {count} leads to {path}", file=sys.stderr)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from integrations.leads.tracker_events import TrackerStoreError

    if args.since and args.until and args.since >= args.until:
        raise CommandError("--since must be before --until")
    try:
        document = report.build_report(
            tracker_url(),
            lead_store_url(),
            report.question_infos(report.questions_file()),
            args.since,
            args.until,
            _now(),
            report.orders_in(report.questions_file().with_name("orders.yml")),
        )
    except TrackerStoreError as error:
        raise CommandError(str(error)) from error
    if not args.output:
        report.write(document, args.format, sys.stdout)
        return 0
    path = _caller_path(args.output)
    try:
        with open(path, "w", encoding="utf-8", newline="") as out:
            report.write(document, args.format, out)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from error
    print(f"wrote the report of {document['conversations']} conversations to {path}", file=sys.stderr)
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    with transaction(lead_store_url()) as session:
        notifications = list(session.scalars(queries.select_notifications(args.status, args.limit)))
        print(render.notifications_table(notifications))
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    with transaction(lead_store_url()) as session:
        result = queries.retry_notifications(session, args.ids, all_dead=args.all_dead, force=args.force, now=_now())
    if result.retried:
        ids = ", ".join(str(notification_id) for notification_id in result.retried)
        print(f"queued again: {ids}; the dispatcher delivers them on its next round")
        print("(not running? deliver now with: .venvs/actions/bin/python -m integrations.outbox.worker --once)")
    elif args.all_dead:
        print("no dead notifications")
    for notification_id in result.missing:
        print(f"leads: no notification with id {notification_id}", file=sys.stderr)
    for notification_id in result.refused:
        print(f"leads: notification {notification_id} was already sent; --force sends it again", file=sys.stderr)
    return 1 if result.missing or result.refused else 0


def _caller_path(name: str) -> Path:
    """A relative --output is relative to where the user typed the command (scripts/leads cds to the repo)."""
    path = Path(name).expanduser()
    if path.is_absolute():
        return path
    return Path(os.environ.get("LEADS_CALLER_CWD") or os.getcwd()) / path


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def run() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `leads list | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    run()
