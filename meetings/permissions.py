"""Who sees what of meetings (docs/roles.md); the member rules are in
members.permissions.

Meeting pages, downloads and the network feed are public. The online-meeting link is not: it
goes to people registered for the meeting (a seat, not the waiting list) and to county staff,
on the meeting page, in the person's own feed and in the e-mails to them; never in the
public download or the network feed, which anyone can pass on.
"""

from django.db.models import Q

from .models import Registration


def online_link_visible(*, registration_status: str | None = None, viewer=None) -> bool:
    """Whether the online-meeting link is shown to someone with a registration of this status
    (None: no active registration), or to this viewer (members.permissions.Viewer)."""
    if viewer is not None and viewer.is_staff:
        return True
    return registration_status == Registration.Status.CONFIRMED


def registrations_actor_scope(person) -> Q:
    """Registrations a person may act on (see, change, cancel): their own, and for the
    coordinator of a municipality those of their colleagues there."""
    if person.is_coordinator and person.municipality_id is not None and person.is_active:
        # The coordinator is one of the municipality's people, so this holds their own
        # registrations too. Written without "own OR colleagues": an OR across the join to
        # contact persons made PostgreSQL hash all of them (20,000 at national scale) on every
        # meeting page a coordinator opened; this condition uses the municipality index.
        return Q(contact_person__municipality_id=person.municipality_id)
    return Q(contact_person=person)
