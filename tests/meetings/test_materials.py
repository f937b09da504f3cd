"""Meeting materials: who uploads, what is accepted (by content, size and name), who
downloads what, and the admin's hide and remove."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from meetings import materials, uploads
from meetings.models import Material
from members.selectors import viewer_for
from tests import factories
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX_BYTES = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
XLSX_BYTES = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>"})
PPTX_BYTES = zip_bytes({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"})
ODT_BYTES = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<o/>"}
)
ODS_BYTES = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<o/>"}
)
ODP_BYTES = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.presentation", "content.xml": b"<o/>"}
)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- What is accepted ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("plan.pdf", PDF_BYTES, "application/pdf"),
        ("bilete.png", PNG_BYTES, "image/png"),
        ("foto.jpg", JPEG_BYTES, "image/jpeg"),
        ("foto.JPEG", JPEG_BYTES, "image/jpeg"),
        ("notat.docx", DOCX_BYTES, uploads.DOCX.content_type),
        ("budsjett.xlsx", XLSX_BYTES, uploads.XLSX.content_type),
        ("lysark.pptx", PPTX_BYTES, uploads.PPTX.content_type),
        ("notat.odt", ODT_BYTES, uploads.ODT.content_type),
        ("budsjett.ods", ODS_BYTES, uploads.ODS.content_type),
        ("lysark.odp", ODP_BYTES, uploads.ODP.content_type),
    ],
)
def test_allowed_types_are_recognised_by_content(name, data, content_type):
    _name, file_type = uploads.validate_upload(upload(name, data))
    assert file_type.content_type == content_type


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # The right extension, other content.
        ("plan.pdf", b"<html><script>alert(1)</script></html>"),
        ("bilete.png", JPEG_BYTES),
        ("foto.jpg", PDF_BYTES),
        # A ZIP that is no office document, and one of the wrong kind.
        ("notat.docx", zip_bytes({"evil.exe": b"MZ"})),
        ("notat.docx", XLSX_BYTES),
        ("lysark.odp", ODT_BYTES),
        # Broken ZIP.
        ("notat.docx", b"PK\x03\x04" + b"\x00" * 40),
        # An office document under a name that is not allowed.
        ("notat.exe", DOCX_BYTES),
        ("side.html", b"<html></html>"),
        ("utan-ending", PDF_BYTES),
    ],
)
def test_wrong_content_or_type_is_refused(name, data):
    with pytest.raises(ValidationError):
        uploads.validate_upload(upload(name, data))


def test_too_large_and_empty_are_refused(settings):
    settings.MATERIAL_MAX_UPLOAD_BYTES = 100
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="at most 100"),
    ):
        uploads.validate_upload(upload("plan.pdf", PDF_BYTES + b"x" * 100))
    with translation.override("en"), pytest.raises(ValidationError, match="empty"):
        uploads.validate_upload(upload("plan.pdf", b""))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("..", "file"),
        ("", "file"),
        (".pdf", "pdf"),
        ("plan\x00.pdf", "plan.pdf"),
        ("møte referat (endeleg).PDF", "møte_referat_endeleg.pdf"),
        ("Årsplan\u202e.pdf", "Årsplan.pdf"),
        ("a" * 500 + ".pdf", "a" * (uploads.MAX_NAME_LENGTH - 4) + ".pdf"),
    ],
)
def test_hostile_names_are_made_safe(given, expected):
    assert uploads.safe_filename(given) == expected


# --- Upload on the meeting page ------------------------------------------------------------------


@pytest.fixture
def meeting():
    meeting = factories.MeetingFactory(title="Prosjektmøte", slug="prosjektmote")
    factories.AgendaItemFactory(meeting=meeting, title="Prosjektidear")
    return meeting


@pytest.fixture
def member():
    return factories.LinkedContactPersonFactory(name="Mia Medlem")


@pytest.fixture
def presenter(meeting):
    person = factories.LinkedContactPersonFactory(name="Per Presentatør")
    registration = factories.RegistrationFactory(meeting=meeting, contact_person=person)
    factories.PresentationFactory(
        meeting=meeting, registration=registration, idea__contact_person=person
    )
    return person


def upload_url(meeting):
    return reverse("meetings:material_upload", kwargs={"slug": meeting.slug})


def post_file(client, meeting, name="plan.pdf", data=PDF_BYTES, **fields):
    return client.post(
        upload_url(meeting),
        {"title": "Lysark", "visibility": "members", **fields, "file": upload(name, data)},
    )


def test_a_presenter_uploads_to_an_agenda_item(material_storage, client_for, meeting, presenter):
    item = meeting.agenda_items.get()
    response = post_file(client_for(presenter), meeting, name="../idé.pdf", agenda_item=item.pk)
    assert response.status_code == 302
    material = Material.objects.get()
    assert material.agenda_item == item
    assert material.filename == "idé.pdf"
    assert material.uploaded_by == presenter.user
    assert material.content_type == "application/pdf"
    # Under a random directory of its own, in the materials storage, nowhere else.
    parts = material.file.name.split("/")
    assert parts[0] == "materials" and len(parts[2]) == 32 and parts[3] == "idé.pdf"
    assert (material_storage / material.file.name).read_bytes() == PDF_BYTES
    page = client_for(presenter).get(meeting.get_absolute_url()).content.decode()
    assert material.get_absolute_url() in page


def test_staff_upload_to_any_meeting(material_storage, staff_client, meeting):
    assert post_file(staff_client, meeting, visibility="public").status_code == 302
    assert Material.objects.get().visibility == "public"


def test_a_refused_file_shows_the_reason_and_stores_nothing(
    material_storage, client_for, meeting, presenter
):
    response = post_file(client_for(presenter), meeting, data=b"MZ not a pdf")
    assert response.status_code == 400
    assert "is not a valid PDF file" in response.content.decode()
    assert not Material.objects.exists()
    assert not material_storage.exists() or not any(material_storage.rglob("*.pdf"))


def test_an_agenda_item_of_another_meeting_is_refused(
    material_storage, client_for, meeting, presenter
):
    other_item = factories.AgendaItemFactory()
    response = post_file(client_for(presenter), meeting, agenda_item=other_item.pk)
    assert response.status_code == 400
    assert not Material.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "unlinked", "member", "waitlisted presenter"])
def test_others_may_not_upload(material_storage, client, client_for, meeting, who):
    if who == "anonymous":
        response = post_file(client, meeting)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        if who == "unlinked":
            user = factories.VerifiedUserFactory()
            client.force_login(user)
            response = post_file(client, meeting)
        else:
            person = factories.LinkedContactPersonFactory()
            if who == "waitlisted presenter":
                registration = factories.RegistrationFactory(
                    meeting=meeting, contact_person=person, status="waitlisted"
                )
                factories.PresentationFactory(meeting=meeting, registration=registration)
            response = post_file(client_for(person), meeting)
        assert response.status_code == 403
    assert not Material.objects.exists()


def test_the_upload_form_shows_only_to_those_who_may_upload(client_for, meeting, presenter, member):
    assert (
        'enctype="multipart/form-data"'
        in client_for(presenter).get(meeting.get_absolute_url()).content.decode()
    )
    assert (
        'enctype="multipart/form-data"'
        not in client_for(member).get(meeting.get_absolute_url()).content.decode()
    )


# --- Downloads -----------------------------------------------------------------------------------


def material_url(material):
    return reverse(
        "meetings:material",
        kwargs={"slug": material.meeting.slug, "pk": material.pk, "filename": material.filename},
    )


def get_as(role, material, *, client_for, staff_client, member):
    url = material_url(material)
    if role == "anonymous":
        return Client().get(url)
    if role == "unlinked":
        unlinked = Client()
        unlinked.force_login(factories.VerifiedUserFactory())
        return unlinked.get(url)
    if role == "member":
        return client_for(member).get(url)
    return staff_client.get(url)


ROLES = ["anonymous", "unlinked", "member", "staff"]


@pytest.mark.parametrize(
    ("visibility", "hidden", "expected"),
    [
        ("members", False, {"anonymous": 302, "unlinked": 403, "member": 200, "staff": 200}),
        ("public", False, {"anonymous": 200, "unlinked": 200, "member": 200, "staff": 200}),
        ("members", True, {"anonymous": 404, "unlinked": 404, "member": 404, "staff": 200}),
        ("public", True, {"anonymous": 404, "unlinked": 404, "member": 404, "staff": 200}),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_downloads_by_role(
    material_storage, client_for, staff_client, member, role, visibility, hidden, expected
):
    material = factories.MaterialFactory(visibility=visibility, hidden=hidden)
    response = get_as(
        role,
        material,
        client_for=client_for,
        staff_client=staff_client,
        member=member,
    )
    assert response.status_code == expected[role]
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == 'attachment; filename="lysark.pdf"'


def test_an_image_is_shown_inline(material_storage, client):
    material = factories.MaterialFactory(
        visibility="public",
        filename="bilete.png",
        file__data=PNG_BYTES,
        content_type="image/png",
        size=len(PNG_BYTES),
    )
    response = client.get(material_url(material))
    assert response["Content-Disposition"] == 'inline; filename="bilete.png"'
    assert response["Content-Type"] == "image/png"


def test_a_wrong_address_is_not_found(material_storage, client):
    material = factories.MaterialFactory(visibility="public")
    other = factories.MeetingFactory()
    for kwargs in (
        {"slug": other.slug, "pk": material.pk, "filename": material.filename},
        {"slug": material.meeting.slug, "pk": material.pk, "filename": "annan.pdf"},
        {"slug": material.meeting.slug, "pk": material.pk + 1, "filename": material.filename},
    ):
        assert client.get(reverse("meetings:material", kwargs=kwargs)).status_code == 404


def test_a_file_missing_from_storage_is_not_found(material_storage, client):
    material = factories.MaterialFactory(visibility="public")
    material.file.storage.delete(material.file.name)
    assert client.get(material_url(material)).status_code == 404


@pytest.mark.parametrize(
    ("header", "prefix"),
    [("X-Accel-Redirect", "/protected-materials/"), ("X-Sendfile", "/srv/portal/data/")],
)
def test_sendfile_mode_names_the_file_instead_of_streaming_it(
    material_storage, settings, client, header, prefix
):
    settings.MATERIAL_SENDFILE_HEADER = header
    settings.MATERIAL_SENDFILE_PREFIX = prefix
    material = factories.MaterialFactory(visibility="public", filename="møte.pdf")
    response = client.get(material_url(material))
    assert response.status_code == 200
    assert response.content == b""
    if header == "X-Accel-Redirect":
        assert response[header].startswith(prefix + "materials/")
        assert response[header].endswith("/m%C3%B8te.pdf")
    else:
        assert response[header] == prefix + material.file.name
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]


def test_sendfile_mode_still_checks_the_permission(material_storage, settings, client):
    settings.MATERIAL_SENDFILE_HEADER = "X-Accel-Redirect"
    material = factories.MaterialFactory(visibility="members")
    response = client.get(material_url(material))
    assert response.status_code == 302
    assert "X-Accel-Redirect" not in response


# --- The meeting page ----------------------------------------------------------------------------


def test_the_page_lists_only_what_the_viewer_may_see(
    material_storage, client_for, staff_client, meeting, member
):
    client = Client()
    item = meeting.agenda_items.get()
    factories.MaterialFactory(meeting=meeting, title="Offentleg plan", visibility="public")
    factories.MaterialFactory(meeting=meeting, agenda_item=item, title="Medlemsnotat")
    factories.MaterialFactory(meeting=meeting, title="Gøymd fil", hidden=True)

    def titles(response):
        page = response.content.decode()
        return {t for t in ("Offentleg plan", "Medlemsnotat", "Gøymd fil") if t in page}

    assert titles(client.get(meeting.get_absolute_url())) == {"Offentleg plan"}
    assert titles(client_for(member).get(meeting.get_absolute_url())) == {
        "Offentleg plan",
        "Medlemsnotat",
    }
    assert titles(staff_client.get(meeting.get_absolute_url())) == {
        "Offentleg plan",
        "Medlemsnotat",
        "Gøymd fil",
    }


def test_the_uploader_removes_their_own_file_and_nobody_else_does(
    material_storage, client_for, meeting, presenter, member, django_capture_on_commit_callbacks
):
    own = factories.MaterialFactory(meeting=meeting, uploaded_by=presenter.user)
    others = factories.MaterialFactory(meeting=meeting)
    path = material_storage / own.file.name
    assert path.exists()

    def remove(person, material):
        return client_for(person).post(
            reverse("meetings:material_remove", kwargs={"slug": meeting.slug, "pk": material.pk})
        )

    assert remove(presenter, others).status_code == 302
    assert Material.objects.filter(pk=others.pk).exists()
    assert remove(member, own).status_code == 302
    assert Material.objects.filter(pk=own.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert remove(presenter, own).status_code == 302
    assert not Material.objects.filter(pk=own.pk).exists()
    assert not path.exists()


def test_the_past_meetings_list_marks_minutes_and_counts_files(material_storage, client):
    held = factories.MeetingFactory(title="Haldt møte", minutes_markdown="Referat", **_past_times())
    held.minutes_published_at = held.ends_at
    held.save()
    factories.MaterialFactory(meeting=held)
    factories.MaterialFactory(meeting=held, visibility="public")
    factories.MaterialFactory(meeting=held, hidden=True)
    page = client.get(reverse("meetings:list")).content.decode()
    assert f"{held.get_absolute_url()}#minutes-heading" in page
    assert "2 files" in page or "2 filer" in page


def _past_times():
    import datetime as dt

    from django.utils import timezone

    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=10)
    return {
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=3),
        "registration_deadline": start - dt.timedelta(days=2),
        "status": "held",
    }


# --- Admin ---------------------------------------------------------------------------------------


def test_staff_hide_and_show_files_in_the_admin(material_storage, staff_client):
    client = Client()
    material = factories.MaterialFactory(visibility="public")
    changelist = reverse("admin:meetings_material_changelist")
    response = staff_client.post(
        changelist, {"action": "hide_selected", "_selected_action": [material.pk]}
    )
    assert response.status_code == 302
    material.refresh_from_db()
    assert material.hidden
    assert client.get(material_url(material)).status_code == 404
    staff_client.post(changelist, {"action": "show_selected", "_selected_action": [material.pk]})
    material.refresh_from_db()
    assert not material.hidden
    assert client.get(material_url(material)).status_code == 200


def test_staff_change_a_file_on_its_admin_page(material_storage, staff_client):
    material = factories.MaterialFactory()
    item = factories.AgendaItemFactory(meeting=material.meeting)
    url = reverse("admin:meetings_material_change", args=[material.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url,
        {"title": "Nytt namn", "agenda_item": item.pk, "visibility": "public", "hidden": "on"},
    )
    assert response.status_code == 302
    material.refresh_from_db()
    assert (material.title, material.agenda_item, material.visibility, material.hidden) == (
        "Nytt namn",
        item,
        "public",
        True,
    )


def test_an_agenda_item_of_another_meeting_is_refused_in_the_admin(material_storage, staff_client):
    material = factories.MaterialFactory()
    other_item = factories.AgendaItemFactory()
    url = reverse("admin:meetings_material_change", args=[material.pk])
    response = staff_client.post(
        url, {"title": "Nytt namn", "agenda_item": other_item.pk, "visibility": "public"}
    )
    assert response.status_code == 200
    material.refresh_from_db()
    assert material.agenda_item is None


@pytest.mark.parametrize("how", ["action", "delete page"])
def test_staff_remove_files_with_the_file_in_storage(
    material_storage, staff_client, how, django_capture_on_commit_callbacks
):
    material = factories.MaterialFactory()
    path = material_storage / material.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = remove_in_admin(staff_client, material, how)
    assert response.status_code == 302
    assert not Material.objects.exists()
    # The file goes once the removal is committed.
    assert not path.exists()


def remove_in_admin(staff_client, material, how):
    if how == "action":
        return staff_client.post(
            reverse("admin:meetings_material_changelist"),
            {"action": "remove_selected", "_selected_action": [material.pk]},
        )
    return staff_client.post(
        reverse("admin:meetings_material_delete", args=[material.pk]), {"post": "yes"}
    )


def test_the_meeting_admin_lists_the_files(material_storage, staff_client):
    material = factories.MaterialFactory(title="Lysark frå fylket")
    response = staff_client.get(
        reverse("admin:meetings_meeting_change", args=[material.meeting.pk])
    )
    assert response.status_code == 200
    assert "Lysark frå fylket" in response.content.decode()


def test_service_refuses_a_removal_by_someone_else(material_storage, meeting, presenter, member):
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    material = factories.MaterialFactory(meeting=meeting, uploaded_by=presenter.user)
    request = RequestFactory().get("/")
    request.user = member.user
    with pytest.raises(PermissionDenied):
        materials.material_delete(material=material, viewer=viewer_for(request))
    assert Material.objects.filter(pk=material.pk).exists()


def test_a_deleted_meeting_takes_its_files_with_it(
    material_storage, staff_client, django_capture_on_commit_callbacks
):
    """Found when the product was tried: deleting a meeting (one nobody registered for)
    deleted its materials' rows by cascade and left their files in storage for good."""
    material = factories.MaterialFactory()
    meeting = material.meeting
    path = material_storage / material.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:meetings_meeting_delete", args=[meeting.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Material.objects.exists()
    assert not path.exists()


def test_a_removal_rolled_back_keeps_the_file(material_storage):
    material = factories.MaterialFactory()
    path = material_storage / material.file.name

    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        material.meeting.delete()
        raise Undone
    assert Material.objects.filter(pk=material.pk).exists()
    assert path.exists()
