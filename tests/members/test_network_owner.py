"""The network owner: one row county staff edit in the admin, shown in every page's footer and
copied into each new meeting series, whose e-mails and calendar entries name it. After the
county reform (Hordaland became Vestland on 1 January 2020) one edit changes what comes next
and the series of earlier years keep the organiser they had."""

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from meetings import copying
from meetings.emails import build_registration_email
from meetings.models import MeetingSeries, Registration
from members.models import NetworkOwner
from members.services import network_owner_update

pytestmark = pytest.mark.django_db

HORDALAND = {
    "name": "Hordaland fylkeskommune",
    "section": "Seksjon for forskning, internasjonalisering og analyse",
    "address": "Agnes Mowinckels gate 5, 5008 Bergen",
    "contact_name": "Kari Nordmann",
    "contact_title": "seksjonsleiar",
    "phone": "+47 55 23 90 61",
    "email": "fia@hordaland.example",
    "website": "",
}
VESTLAND = {
    **HORDALAND,
    "name": "Vestland fylkeskommune",
    "section": "Avdeling for strategisk utvikling og digitalisering",
    "address": "Postboks 7900, 5020 Bergen",
    "email": "nettverk@vestland.example",
}
ADMIN_URL = reverse("admin:members_networkowner_change", args=[1])


def owner_of(fields) -> NetworkOwner:
    owner = NetworkOwner.get_solo()
    for name, value in fields.items():
        setattr(owner, name, value)
    return network_owner_update(owner=owner)


def admin_form(fields) -> dict[str, str]:
    return {**fields, "_save": "Lagre"}


def footer(response) -> str:
    body = response.content.decode()
    return body[body.index('<footer class="site-footer') :]


def test_the_admin_edits_the_one_owner_and_the_footer_shows_it_at_once(staff_client, client):
    page = staff_client.get(reverse("admin:members_networkowner_changelist"))
    # No list of one: the change page itself, in Nynorsk.
    assert page.status_code == 200
    assert "Fylkeskommune" in page.content.decode()
    assert "Endre nettverkseigar" in page.content.decode()

    response = staff_client.post(ADMIN_URL, admin_form(VESTLAND))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert NetworkOwner.objects.get().name == "Vestland fylkeskommune"

    shown = footer(client.get(reverse("home")))
    assert (
        "Nettverket blir drive av Vestland fylkeskommune, "
        "Avdeling for strategisk utvikling og digitalisering." in shown
    )
    assert "Postboks 7900, 5020 Bergen" in shown
    assert "Kari Nordmann, seksjonsleiar" in shown
    assert 'href="tel:+4755239061"' in shown
    assert 'href="mailto:nettverk@vestland.example"' in shown


def test_the_owner_cannot_be_added_twice_nor_deleted(staff_client):
    owner_of(HORDALAND)
    assert staff_client.get(reverse("admin:members_networkowner_add")).status_code == 403
    assert staff_client.post(
        reverse("admin:members_networkowner_delete", args=[1])
    ).status_code in (
        403,
        404,
    )
    assert NetworkOwner.objects.count() == 1
    # The database keeps it at one row whatever bypasses the model's save.
    with pytest.raises(IntegrityError), transaction.atomic():
        NetworkOwner.objects.bulk_create([NetworkOwner(pk=2, name="Ein til")])


def test_staff_input_is_checked_like_any_other(staff_client):
    owner_of(HORDALAND)
    bad = {**HORDALAND, "name": "", "email": "ikkje ei adresse", "phone": "55\n23"}
    response = staff_client.post(ADMIN_URL, admin_form(bad))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"name", "email", "phone"}
    assert NetworkOwner.objects.get().name == "Hordaland fylkeskommune"


def test_without_an_owner_the_footer_names_nobody(client):
    shown = footer(client.get(reverse("home")))
    assert "blir drive av" not in shown
    assert "<address" not in shown


def test_the_footer_reads_the_owner_from_the_cache(client, django_assert_num_queries):
    owner_of(HORDALAND)
    cache.clear()
    client.get(reverse("home"))
    # The page put it in the cache; the next pages read it from there.
    with django_assert_num_queries(0):
        assert NetworkOwner.get_solo().name == "Hordaland fylkeskommune"


def test_once_a_change_commits_the_next_read_is_fresh(
    django_capture_on_commit_callbacks,
):
    owner_of(HORDALAND)
    with django_capture_on_commit_callbacks(execute=True):
        owner_of(VESTLAND)
    assert cache.get(NetworkOwner.get_cache_key()) is None
    assert NetworkOwner.get_solo().name == "Vestland fylkeskommune"


def test_the_county_reform_is_one_edit_and_old_series_keep_their_organiser(
    staff_client, meeting_series_factory, meeting_factory, registration_factory, client, ics_events
):
    owner_of(HORDALAND)
    series_2019 = meeting_series_factory(
        name="Kommunenettverket 2019",
        year=2019,
        **MeetingSeries.organiser_fields(NetworkOwner.get_solo()),
    )
    meeting_2019 = meeting_factory(series=series_2019)

    staff_client.post(ADMIN_URL, admin_form(VESTLAND))
    series_2020 = copying.series_copy_to_next_year(series=series_2019)

    series_2019.refresh_from_db()
    assert series_2019.organiser_name == "Hordaland fylkeskommune, " + HORDALAND["section"]
    assert series_2020.organiser_name == "Vestland fylkeskommune, " + VESTLAND["section"]
    assert series_2020.organiser_address == "Postboks 7900, 5020 Bergen"
    assert series_2020.organiser_email == "nettverk@vestland.example"

    # The calendar entries name each series' organiser.
    old = ics_events(client.get(reverse("meetings:calendar", args=[meeting_2019.slug])).content)
    (old_event,) = old.values()
    assert str(old_event["ORGANIZER"]) == "mailto:fia@hordaland.example"
    assert old_event["ORGANIZER"].params["CN"] == "Hordaland fylkeskommune, " + HORDALAND["section"]
    meeting_2020 = meeting_factory(series=series_2020)
    new = ics_events(client.get(reverse("meetings:calendar", args=[meeting_2020.slug])).content)
    (new_event,) = new.values()
    assert str(new_event["ORGANIZER"]) == "mailto:nettverk@vestland.example"

    # And so are its e-mails signed, in the recipient's language.
    registration = (
        Registration.objects.with_waitlist_position()
        .with_calendar_sequence()
        .get(pk=registration_factory(meeting=meeting_2019).pk)
    )
    with translation.override("nn"):
        body = build_registration_email(registration, "confirmed").body
    assert body.rstrip().endswith(
        "Kari Nordmann, seksjonsleiar\n"
        "Hordaland fylkeskommune, Seksjon for forskning, internasjonalisering og analyse\n"
        "Agnes Mowinckels gate 5, 5008 Bergen\n"
        "Telefon: +47 55 23 90 61"
    )


def test_a_new_series_in_the_admin_starts_with_the_owner(staff_client):
    owner_of(VESTLAND)
    page = staff_client.get(reverse("admin:meetings_meetingseries_add"))
    form = page.context["adminform"].form
    assert form.initial["organiser_name"] == "Vestland fylkeskommune, " + VESTLAND["section"]
    assert form.initial["organiser_contact"] == "Kari Nordmann, seksjonsleiar"


def test_without_an_organiser_e_mail_the_entry_names_the_portals_sender(
    meeting_series_factory, meeting_factory, client, ics_events, settings
):
    series = meeting_series_factory(organiser_email="")
    meeting = meeting_factory(series=series)
    (event,) = ics_events(
        client.get(reverse("meetings:calendar", args=[meeting.slug])).content
    ).values()
    assert str(event["ORGANIZER"]) == "mailto:kommunenettverk@example.org"
