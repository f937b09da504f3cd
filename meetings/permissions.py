"""Who sees what of meetings (docs/roles.md); the member rules are in
members.permissions.

Meeting pages, downloads and the network feed are public. The online-meeting link is not: it
goes to people registered for the meeting (a seat, not the waiting list) and to county staff,
on the meeting page, in the person's own feed and in the e-mails to them; never in the
public download or the network feed, which anyone can pass on.
"""

from django.db.models import Q

from .models import Material, Registration


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


# --- Materials ---------------------------------------------------------------------------------
# County staff upload to any meeting and see every file, hidden ones too. Those who present a
# project idea at a meeting (a confirmed registration with a presentation) upload to that
# meeting. Files for members are seen by linked members and staff; public ones by everyone.


def can_upload_materials(*, viewer, meeting) -> bool:
    if viewer.is_staff:
        return True
    if not viewer.is_member:
        return False
    return (
        Registration.objects.confirmed()
        .filter(meeting=meeting, contact_person=viewer.person, presentations__isnull=False)
        .exists()
    )


def material_visibility_scope(viewer) -> Q | None:
    """The materials a viewer may see, as a condition; None for every one (county staff)."""
    if viewer.is_staff:
        return None
    visibilities = [Material.Visibility.PUBLIC]
    if viewer.is_member:
        visibilities.append(Material.Visibility.MEMBERS)
    return Q(hidden=False, visibility__in=visibilities)


def material_visible(*, viewer, material) -> bool:
    if viewer.is_staff:
        return True
    if material.hidden:
        return False
    return material.visibility == material.Visibility.PUBLIC or viewer.is_member


def can_remove_material(*, viewer, material) -> bool:
    """County staff remove any file; an uploader their own, while they may still see it."""
    if viewer.is_staff:
        return True
    return (
        viewer.user.is_authenticated
        and material.uploaded_by_id == viewer.user.pk
        and material_visible(viewer=viewer, material=material)
    )
