"""Meeting materials: the reads and writes of the files uploaded to a meeting and its agenda.

Who may upload, see and remove a file is decided in meetings.permissions; the checks of the
file itself (type by content, size, name) in meetings.uploads. Every file goes through the
storage API (the "materials" alias), so another backend needs no change here.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from . import uploads
from .models import AgendaItem, Material, Meeting
from .permissions import (
    can_remove_material,
    can_upload_materials,
    material_visibility_scope,
    material_visible,
)

# --- Reads -------------------------------------------------------------------------------------


def materials_visible_to(viewer, meeting: Meeting):
    """The meeting's materials the viewer may see, in the order they were uploaded."""
    materials = Material.objects.filter(meeting=meeting)
    scope = material_visibility_scope(viewer)
    if scope is not None:
        materials = materials.filter(scope)
    return materials.order_by("uploaded_at", "pk")


@dataclass
class MaterialGroups:
    """A meeting's materials for its page: those of the meeting as a whole, and those of
    each agenda item, as (item, materials) in the programme's order."""

    general: list = field(default_factory=list)
    by_item: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.general or self.by_item)


def material_groups(viewer, meeting: Meeting) -> MaterialGroups:
    """The materials the viewer may see, grouped for the meeting page, in one query (the
    agenda items are the meeting's prefetched ones). Each has `removable` set for the
    viewer."""
    general: list[Material] = []
    of_item: dict[int, list[Material]] = {}
    for material in materials_visible_to(viewer, meeting):
        material.meeting = meeting
        material.removable = can_remove_material(viewer=viewer, material=material)
        if material.agenda_item_id is None:
            general.append(material)
        else:
            of_item.setdefault(material.agenda_item_id, []).append(material)
    return MaterialGroups(
        general=general,
        by_item=[
            (item, of_item[item.pk]) for item in meeting.agenda_items.all() if item.pk in of_item
        ],
    )


def material_for_download(*, viewer, slug: str, pk: int, filename: str) -> Material | None:
    """The material at this address if the viewer may see it, else None: a file the viewer
    may not see is not found, so its existence is not told either."""
    material = (
        Material.objects.select_related("meeting")
        .filter(pk=pk, meeting__slug=slug, filename=filename)
        .first()
    )
    if material is None or not material_visible(viewer=viewer, material=material):
        return None
    return material


# --- Writes ------------------------------------------------------------------------------------


def material_create(
    *,
    meeting: Meeting,
    uploaded_file,
    title: str,
    viewer,
    agenda_item: AgendaItem | None = None,
    visibility: str = Material.Visibility.MEMBERS,
) -> Material:
    """Check the file and store it as a material of the meeting (or of one of its agenda
    items). Raises PermissionDenied for someone who may not upload here, ValidationError for
    a file or title that is not accepted; nothing is stored then."""
    if not can_upload_materials(viewer=viewer, meeting=meeting):
        raise PermissionDenied
    filename, file_type = uploads.validate_upload(uploaded_file)
    material = Material(
        meeting=meeting,
        agenda_item=agenda_item,
        title=title.strip(),
        filename=filename,
        content_type=file_type.content_type,
        size=uploaded_file.size,
        visibility=visibility,
        uploaded_by=viewer.user if viewer.user.is_authenticated else None,
        uploaded_at=timezone.now(),
    )
    # Checked before the file is written, so a refused upload leaves nothing behind.
    material.file.name = "pending"
    material.full_clean()
    uploaded_file.seek(0)
    # The storage writes under a fresh random directory (storage.material_upload_to).
    material.file.save(filename, uploaded_file, save=False)
    try:
        with transaction.atomic():
            material.save()
    except Exception:
        material.file.storage.delete(material.file.name)
        raise
    return material


def material_update(*, material: Material) -> Material:
    """Save what staff changed in the admin: title, agenda item, visibility, hidden."""
    material.full_clean()
    material.save(update_fields=["title", "agenda_item", "visibility", "hidden"])
    return material


def material_set_hidden(*, materials, hidden: bool) -> int:
    """Hide files from everyone but county staff, or show them again. Returns how many
    changed."""
    return (
        Material.objects.filter(pk__in=[m.pk for m in materials])
        .exclude(hidden=hidden)
        .update(hidden=hidden)
    )


def material_delete(*, material: Material, viewer=None) -> None:
    """Remove the file and its record. With `viewer` (the meeting page), only for someone
    who may remove it; the admin checks its own permission. The file is deleted once the
    record's removal is committed (django-cleanup, as for every road a material's row is
    deleted by), so a rollback leaves both."""
    if viewer is not None and not can_remove_material(viewer=viewer, material=material):
        raise PermissionDenied
    Material.objects.filter(pk=material.pk).delete()
