"""Who sees whom: the rules for the member pages, in one place (docs/roles.md).

The portal's people are:
- county staff: active staff accounts with the permission to view contact persons (the "County
  staff" group has it); a bare staff account without permissions is treated like an unlinked
  account on the member pages;
- members: accounts linked to an active contact person of a municipality;
- coordinators: members with the coordinator role, who also act for colleagues of their own
  municipality (see meetings.permissions);
- unlinked accounts: signed in, but not (yet) linked to a municipality; they see the public
  pages, their own profile and the page that says they are waiting for the county;
- anonymous visitors: the public pages only.

Views ask `selectors.viewer_for(request)`; querysets narrow with
`ContactPerson.objects.visible_to(viewer)` and the like, which call these functions, so a
template never decides what may be shown. This module imports no models, so that models'
querysets can use it.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from django.db.models import QuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from members.models import ContactPerson, User

_QuerySet = TypeVar("_QuerySet", bound=QuerySet[Any])

STAFF_DIRECTORY_PERMISSION = "members.view_contactperson"


def is_county_staff(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(STAFF_DIRECTORY_PERMISSION)
    )


def is_linked_member(person: "ContactPerson | None") -> TypeGuard["ContactPerson"]:
    return bool(
        person is not None
        and person.municipality_id is not None
        and person.is_active
        and person.anonymised_at is None
    )


@dataclass
class Viewer:
    """The signed-in person (or anonymous visitor) as the member pages see them."""

    user: "User | AnonymousUser"
    person: "ContactPerson | None"

    @cached_property
    def is_staff(self) -> bool:
        return is_county_staff(self.user)

    @property
    def is_member(self) -> bool:
        return is_linked_member(self.person)

    @property
    def is_coordinator(self) -> bool:
        return self.is_member and self.person is not None and self.person.is_coordinator

    @property
    def sees_directory(self) -> bool:
        """Contact details, project ideas and municipality pages."""
        return self.is_staff or self.is_member

    @property
    def is_waiting(self) -> bool:
        """Signed in, but neither a linked member nor county staff."""
        return bool(self.user.is_authenticated) and not self.sees_directory


def contact_persons_visible_to(queryset: _QuerySet, viewer: Viewer) -> _QuerySet:
    """Contact persons whose names and contact details the viewer may see: all of them for
    county staff, the active, not anonymised ones for linked members, none for others."""
    if viewer.is_staff:
        return queryset
    if viewer.is_member:
        return queryset.filter(is_active=True, anonymised_at__isnull=True)
    return queryset.none()
