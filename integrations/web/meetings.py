"""The visitor's page behind a signed meeting link: `/meetings/<token>` shows the meeting with a cancel
button and the rep's next free times; POST `/meetings/<token>` with `action=cancel` or
`action=reschedule&start=<ISO>` changes it (integrations/booking/service.py sends the new invitation and
tells the rep). A tampered, expired or unknown link is a 404; everything shown is escaped.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from urllib.parse import parse_qs

from integrations.booking import service, store
from integrations.booking.invitations import local_time
from integrations.booking.links import InvalidLinkError, booking_id_of, link_secret, token_for
from integrations.routing import load_policy
from integrations.settings import Settings

MAX_FORM_BYTES = 4096


def meeting_page(token: str, now: datetime, form: bytes | None = None) -> tuple[int, str]:
    """HTTP status and page for GET (form None) or POST of the link `token`."""
    settings = Settings.from_env()
    secret = link_secret()
    try:
        booking_id = booking_id_of(token, secret, now)
    except InvalidLinkError as error:
        return 404, _page("Link not valid", f"<p>{html.escape(str(error))}.</p>")
    booking = store.get(settings.database_url, booking_id)
    if booking is None:
        return 404, _page("Link not valid", "<p>This meeting no longer exists.</p>")
    if booking.status != "booked":
        return 410, _page("Meeting cancelled", "<p>This meeting was cancelled.</p>")
    rep = service.rep_of(settings, booking)
    notice = ""
    if form is not None:
        fields = {key: values[0] for key, values in parse_qs(form[:MAX_FORM_BYTES].decode(errors="replace")).items()}
        try:
            if fields.get("action") == "cancel":
                service.cancel(settings, booking.id, rep, now=now)
                return 200, _page("Meeting cancelled", f"<p>Your call with {html.escape(rep.name)} is cancelled.</p>")
            if fields.get("action") == "reschedule":
                start = datetime.fromisoformat(fields.get("start", ""))
                booking = service.reschedule(settings, booking.id, rep, start, now=now)
                token = token_for(booking, secret)
                notice = "<p><b>Moved.</b> A new invitation is on its way.</p>"
            else:
                return 400, _page("Not understood", "<p>Choose cancel or a new time.</p>")
        except ValueError:
            return 400, _page("Not understood", "<p>That is not a time.</p>")
        except store.SlotTakenError:
            notice = "<p><b>That time is no longer free.</b> Please choose another one.</p>"
        except store.BookingNotFoundError:
            return 410, _page("Meeting cancelled", "<p>This meeting was cancelled.</p>")
    zone = booking.visitor_timezone or "UTC"
    calendar = service.calendar_of(load_policy(settings.reps_file))
    free = store.offer(settings.database_url, rep, calendar, now=now, count=calendar.policy.offer * 2)
    action = f"/meetings/{html.escape(token)}"
    choices = "".join(
        f'<form method="post" action="{action}"><input type="hidden" name="action" value="reschedule">'
        f'<input type="hidden" name="start" value="{slot.isoformat()}">'
        f'<button type="submit">{html.escape(local_time(slot, zone))}</button></form>'
        for slot in free
    )
    body = (
        f"{notice}<p>Your 30-minute call with {html.escape(rep.name)}: "
        f"<b>{html.escape(local_time(booking.start_at, zone))}</b>.</p>"
        f"<h2>Move it to</h2>{choices or '<p>No other free times in the next days.</p>'}"
        f'<h2>Cancel</h2><form method="post" action="{action}"><input type="hidden" name="action" value="cancel">'
        '<button type="submit">Cancel the meeting</button></form>'
    )
    return 200, _page("Your meeting", body)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">'
        f"<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    )
