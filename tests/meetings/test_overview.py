"""The participation overview for county staff: the selector, the chart and the page."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Permission
from django.urls import resolve, reverse
from django.utils import timezone, translation

from meetings import views
from meetings.charts import BarItem, horizontal_bar_chart
from meetings.models import Meeting, Registration
from meetings.selectors import RegistrationCount, participation_overview
from members.models import Municipality
from tests.helpers import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

OVERVIEW_URL = "/meetings/overview/"
SVG = "{http://www.w3.org/2000/svg}"


def html(response) -> str:
    return response.content.decode()


def nynorsk(message: str) -> str:
    with translation.override("nn"):
        return translation.gettext(message)


def chart_svg(response) -> ET.Element:
    """The overview's chart, parsed as XML (which also proves it is well-formed)."""
    found = re.findall(r"<svg\b.*?</svg>", html(response), re.S)
    assert len(found) == 1, f"{len(found)} <svg> elements on the page"
    return ET.fromstring(found[0])  # noqa: S314 - our own page, not untrusted input


def chart_bars(svg: ET.Element) -> list[dict]:
    """Each bar's label, figure and drawn width (confirmed plus waiting-list parts)."""
    bars = []
    for group in svg.iter(f"{SVG}g"):
        if group.get("class") != "chart-bar":
            continue
        texts = {t.get("class"): t.text for t in group.iter(f"{SVG}text")}
        width = sum(float(rect.get("width")) for rect in group.iter(f"{SVG}rect"))
        bars.append({"label": texts["chart-label"], "value": texts["chart-value"], "width": width})
    return bars


def table_rows(response) -> dict[str, list[str]]:
    """The table's body and footer: row header -> the cells' text."""
    table = re.search(
        r'<table class="table table-sm participation-table">(.*?)</table>', html(response), re.S
    )
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        header = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if header:
            name = re.sub(r"<.*?>.*", "", header.group(1), flags=re.S).strip()
            rows[name] = [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return rows


@pytest.fixture
def add_registration(contact_person_factory, registration_factory):
    """Register a new person of `municipality` for `meeting` with the given status."""

    def add(meeting, municipality, status=Registration.Status.CONFIRMED):
        person = contact_person_factory(municipality=municipality)
        return registration_factory(
            meeting=meeting,
            contact_person=person,
            status=status,
            cancelled_at=timezone.now() if status == Registration.Status.CANCELLED else None,
        )

    return add


@pytest.fixture
def network(meeting_series_factory, meeting_factory, municipality_factory, add_registration):
    """A series with a held meeting, the next meeting, a later one and a tentative one, and
    registrations from three members (Bergen, Voss, Askøy has none) and one non-member."""
    now = timezone.now().replace(microsecond=0)
    series = meeting_series_factory(name="Kommunenettverket", year=timezone.localdate().year)
    held = meeting_factory(
        series=series,
        title="Oppstart",
        status=Meeting.Status.HELD,
        starts_at=now - dt.timedelta(days=40),
    )
    upcoming = meeting_factory(
        series=series, title="Prosjektmøte", starts_at=now + dt.timedelta(days=10)
    )
    later = meeting_factory(series=series, title="Haustmøte", starts_at=now + dt.timedelta(days=90))
    tentative = meeting_factory(series=series, title="Søknadsverkstad", tentative=True)

    bergen = municipality_factory(name="Bergen")
    voss = municipality_factory(name="Voss")
    askoy = municipality_factory(name="Askøy")
    fedje = municipality_factory(name="Fedje", member_since=None)
    municipality_factory(name="Modalen", member_since=None)  # neither member nor registered
    # A former member, merged away before the series' first meeting: not a row unless it
    # registered.
    municipality_factory(name="Fusa", valid_to=timezone.localdate() - dt.timedelta(days=60))

    for _ in range(3):
        add_registration(held, bergen)
    add_registration(held, voss)
    add_registration(upcoming, bergen)
    add_registration(upcoming, bergen, Registration.Status.WAITLISTED)
    add_registration(upcoming, bergen, Registration.Status.CANCELLED)
    add_registration(upcoming, fedje)
    add_registration(upcoming, voss, Registration.Status.CANCELLED)
    add_registration(later, askoy, Registration.Status.CANCELLED)
    add_registration(tentative, voss)

    return {
        "series": series,
        "held": held,
        "upcoming": upcoming,
        "later": later,
        "tentative": tentative,
        "bergen": bergen,
        "voss": voss,
        "askoy": askoy,
        "fedje": fedje,
    }


# --- The selector ----------------------------------------------------------------------------


def test_meetings_in_order_dated_first_then_tentative(network):
    overview = participation_overview(network["series"])

    assert [m.title for m in overview.meetings] == [
        "Oppstart",
        "Prosjektmøte",
        "Haustmøte",
        "Søknadsverkstad",
    ]


def test_rows_are_current_members_and_municipalities_with_registrations(network):
    overview = participation_overview(network["series"])

    names = [row.municipality.name for row in overview.rows]
    # Modalen is neither a member nor registered, Fusa no longer exists.
    assert names == ["Askøy", "Bergen", "Fedje", "Voss"]
    assert {row.municipality.name: row.is_member for row in overview.rows} == {
        "Askøy": True,
        "Bergen": True,
        "Fedje": False,
        "Voss": True,
    }


def test_matrix_counts_confirmed_and_waitlisted_apart(network):
    overview = participation_overview(network["series"])
    n = network

    assert overview.count(n["bergen"], n["held"]) == RegistrationCount(3, 0)
    assert overview.count(n["bergen"], n["upcoming"]) == RegistrationCount(1, 1)
    assert overview.count(n["voss"], n["held"]) == RegistrationCount(1, 0)
    assert overview.count(n["voss"], n["tentative"]) == RegistrationCount(1, 0)
    assert overview.count(n["fedje"], n["upcoming"]) == RegistrationCount(1, 0)
    assert overview.count(n["askoy"], n["held"]) == RegistrationCount(0, 0)


def test_cancelled_registrations_are_not_counted(network):
    overview = participation_overview(network["series"])
    n = network

    # Voss cancelled for the next meeting, Askøy for the later one: nothing is left.
    assert overview.count(n["voss"], n["upcoming"]).active == 0
    assert overview.count(n["askoy"], n["later"]).active == 0
    assert (n["voss"].pk, n["upcoming"].pk) not in overview.matrix
    assert overview.meeting_totals[1] == RegistrationCount(2, 1)  # not 4 with cancellations


def test_totals_per_municipality_and_per_meeting(network):
    overview = participation_overview(network["series"])

    totals = {row.municipality.name: row.total for row in overview.rows}
    assert totals == {
        "Askøy": RegistrationCount(0, 0),
        "Bergen": RegistrationCount(4, 1),
        "Fedje": RegistrationCount(1, 0),
        "Voss": RegistrationCount(2, 0),
    }
    assert overview.meeting_totals == (
        RegistrationCount(4, 0),
        RegistrationCount(2, 1),
        RegistrationCount(0, 0),
        RegistrationCount(1, 0),
    )
    assert overview.total == RegistrationCount(7, 1)
    assert overview.total.active == 8


def test_next_meeting_and_members_with_nobody_registered(network):
    overview = participation_overview(network["series"])

    assert overview.next_meeting == network["upcoming"]
    # Voss cancelled and Askøy never registered; Fedje registered but is not a member.
    assert [m.name for m in overview.members_without_registration] == ["Askøy", "Voss"]


def test_a_waitlisted_registration_counts_as_somebody_registered(network, add_registration):
    add_registration(network["upcoming"], network["askoy"], Registration.Status.WAITLISTED)

    overview = participation_overview(network["series"])

    assert [m.name for m in overview.members_without_registration] == ["Voss"]


def test_next_meeting_skips_cancelled_and_past_meetings(network):
    Meeting.objects.filter(pk=network["upcoming"].pk).update(status=Meeting.Status.CANCELLED)

    overview = participation_overview(network["series"])

    assert overview.next_meeting == network["later"]
    assert [m.name for m in overview.members_without_registration] == [
        "Askøy",
        "Bergen",
        "Voss",
    ]


def test_no_next_meeting_when_only_tentative_ones_are_ahead(network):
    Meeting.objects.filter(pk__in=[network["upcoming"].pk, network["later"].pk]).update(
        status=Meeting.Status.CANCELLED
    )

    overview = participation_overview(network["series"])

    assert overview.next_meeting is None
    assert overview.members_without_registration == ()


def test_registrations_of_people_without_a_municipality_get_their_own_row(
    network, add_registration
):
    add_registration(network["upcoming"], None)

    overview = participation_overview(network["series"])

    assert overview.rows[-1].municipality is None
    assert overview.rows[-1].total == RegistrationCount(1, 0)
    assert overview.meeting_totals[1] == RegistrationCount(3, 1)


def test_a_former_member_with_registrations_is_a_row(
    network, municipality_factory, add_registration
):
    os = municipality_factory(name="Os", valid_to=timezone.localdate() - dt.timedelta(days=60))
    add_registration(network["held"], os)

    overview = participation_overview(network["series"])

    row = next(row for row in overview.rows if row.municipality == os)
    assert row.is_member is False
    assert os not in overview.members_without_registration


# --- The chart geometry ----------------------------------------------------------------------


def test_chart_sorts_by_total_then_name_and_leaves_out_zeros():
    chart = horizontal_bar_chart(
        [
            BarItem("Voss", 2),
            BarItem("Askøy", 0),
            BarItem("Bergen", 4, 1),
            BarItem("Austevoll", 2),
        ]
    )

    assert [bar.label for bar in chart.bars] == ["Bergen", "Austevoll", "Voss"]
    assert [bar.value_text for bar in chart.bars] == ["4 (1)", "2", "2"]


def test_chart_bar_widths_are_proportional_and_the_longest_fills_the_plot():
    chart = horizontal_bar_chart([BarItem("A", 10), BarItem("B", 5), BarItem("C", 3, 2)])

    a, b, c = chart.bars
    assert a.width == pytest.approx(2 * b.width)
    assert c.width == pytest.approx(b.width)
    assert c.confirmed_width == pytest.approx(3 / 2 * c.waitlisted_width)
    assert c.waitlisted_x == pytest.approx(chart.bar_x + c.confirmed_width)
    # The longest bar and its figure fit inside the chart.
    assert a.value_x + 40 < chart.width
    assert [bar.y for bar in chart.bars] == sorted(bar.y for bar in chart.bars)
    assert chart.height > chart.bars[-1].y + chart.bar_height


def test_chart_without_registrations_has_no_bars():
    chart = horizontal_bar_chart([BarItem("A", 0)])

    assert chart.bars == ()
    assert not chart.has_waitlisted


def test_long_labels_are_shortened():
    chart = horizontal_bar_chart([BarItem("Ein svært lang namn på ein kommune som ikkje finst", 1)])

    assert chart.bars[0].label.endswith("…")
    assert chart.label_x <= 240 + 8


# --- Access ----------------------------------------------------------------------------------


def test_url_is_not_taken_for_a_meeting_slug():
    assert reverse("meetings:overview") == OVERVIEW_URL
    assert resolve(OVERVIEW_URL).func.view_class is views.ParticipationOverviewView


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(OVERVIEW_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={OVERVIEW_URL}"


def test_users_who_are_not_staff_are_forbidden(client, user_factory):
    # Even with the permission: the page belongs to the admin.
    user = user_factory()
    user.user_permissions.add(Permission.objects.get(codename="view_registration"))
    client.force_login(user)

    assert client.get(OVERVIEW_URL).status_code == 403


def test_staff_without_the_permission_are_forbidden(client, user_factory):
    sign_in_with_second_factor(client, user_factory(is_staff=True))

    assert client.get(OVERVIEW_URL).status_code == 403


def test_county_staff_see_the_overview(staff_en_client, network):
    response = staff_en_client.get(OVERVIEW_URL)

    assert response.status_code == 200
    assert "<h1>Participation overview</h1>" in html(response)


def test_without_any_series(staff_en_client):
    response = staff_en_client.get(OVERVIEW_URL)

    assert response.status_code == 200
    assert "There are no meeting series yet." in html(response)
    assert "<svg" not in html(response)


# --- The page --------------------------------------------------------------------------------


def test_table_shows_counts_and_totals(staff_en_client, network):
    response = staff_en_client.get(OVERVIEW_URL)
    page = html(response)

    assert "<caption" in page
    # municipality, meetings, total, attended
    assert page.count('<th scope="col">') == 1 + 4 + 1 + 1
    assert table_rows(response) == {
        "Askøy": ["0", "0", "0", "0", "0", "0"],
        "Bergen": ["3", "1 (1)", "0", "0", "4 (1)", "0"],
        "Fedje": ["0", "1", "0", "0", "1", "0"],
        "Voss": ["1", "0", "0", "1", "2", "0"],
        "Total": ["4", "2 (1)", "0", "1", "7 (1)", "0"],
    }
    assert "not a current member" in page  # Fedje


def test_members_with_nobody_registered_are_listed(staff_en_client, network):
    page = html(staff_en_client.get(OVERVIEW_URL))

    section = re.search(r'<section aria-labelledby="next-meeting-heading".*?</section>', page, re.S)
    assert section, "no section on the next meeting"
    assert "Prosjektmøte" in section.group(0)
    assert "2 member municipalities have nobody registered for it:" in section.group(0)
    items = re.findall(r"<li>(.*?)</li>", section.group(0))
    assert items == ["Askøy", "Voss"]


def test_default_series_is_the_latest_year_and_the_select_switches(
    staff_en_client, network, meeting_series_factory, meeting_factory, add_registration
):
    old = meeting_series_factory(name="Kommunenettverket", year=2018)
    kickoff = meeting_factory(
        series=old,
        title="Oppstartsmøte 2018",
        status=Meeting.Status.HELD,
        starts_at=dt.datetime(2018, 3, 7, 10, tzinfo=dt.UTC),
    )
    add_registration(kickoff, network["bergen"])

    default = html(staff_en_client.get(OVERVIEW_URL))
    assert "Prosjektmøte" in default
    assert "Oppstartsmøte 2018" not in default
    assert f'<option value="{network["series"].pk}" selected>' in default
    assert f'<option value="{old.pk}">' in default
    assert '<label for="overview-series"' in default
    assert re.search(r'<button type="submit"[^>]*>Show</button>', default)

    switched = staff_en_client.get(OVERVIEW_URL, {"series": old.pk})
    page = html(switched)
    assert switched.status_code == 200
    assert "Oppstartsmøte 2018" in page
    assert "Prosjektmøte" not in page
    assert f'<option value="{old.pk}" selected>' in page
    # The old series has no meeting ahead, so nobody is missing from one.
    assert "No meeting with a date lies ahead in this series." in page
    assert [bar["label"] for bar in chart_bars(chart_svg(switched))] == ["Bergen"]


@pytest.mark.parametrize("series", ["999999", "latest", "1 OR 1=1"])
def test_unknown_series_is_a_404(staff_en_client, network, series):
    assert staff_en_client.get(OVERVIEW_URL, {"series": series}).status_code == 404


def test_chart_is_an_accessible_svg(staff_en_client, network):
    svg = chart_svg(staff_en_client.get(OVERVIEW_URL))

    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Registrations per municipality, Kommunenettverket " + str(
        network["series"].year
    )
    assert "The same figures are in the table above." in desc.text
    assert "waiting list" in desc.text  # Bergen has a waitlisted registration


def test_chart_has_one_proportional_bar_per_municipality_with_registrations(
    staff_en_client, network
):
    bars = chart_bars(chart_svg(staff_en_client.get(OVERVIEW_URL)))

    # Askøy only cancelled: no bar. Sorted by registrations, most first.
    assert [(bar["label"], bar["value"]) for bar in bars] == [
        ("Bergen", "4 (1)"),
        ("Voss", "2"),
        ("Fedje", "1"),
    ]
    bergen, voss, fedje = (bar["width"] for bar in bars)
    assert bergen == pytest.approx(5 * fedje, rel=1e-3)
    assert voss == pytest.approx(2 * fedje, rel=1e-3)


def test_no_chart_without_registrations(staff_en_client, meeting_factory, municipality_factory):
    municipality_factory(name="Bergen")
    meeting_factory()

    page = html(staff_en_client.get(OVERVIEW_URL))

    assert "<svg" not in page
    assert "Nobody has registered for the meetings in this series yet." in page


def test_page_has_no_inline_styles_or_scripts(staff_en_client, network):
    page = html(staff_en_client.get(OVERVIEW_URL))

    assert "style=" not in page
    # Scripts come from static files only (the header's menu button); none is inline.
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert all(" src=" in script for script in scripts), scripts


def test_page_in_nynorsk_by_default(staff_client, network):
    response = staff_client.get(OVERVIEW_URL)
    page = html(response)

    assert '<html lang="nn">' in page
    heading = nynorsk("Participation overview")
    assert heading != "Participation overview", "no Nynorsk translation compiled"
    assert f"<h1>{heading}</h1>" in page
    assert nynorsk("The same figures are in the table above.") in page
    # Numbers in SVG attributes stay unlocalised: a decimal comma would break the geometry.
    assert chart_svg(response).get("viewBox").startswith("0 0 640 ")
    assert not re.search(r'(?:width|x|y)="\d+,\d', page)


def test_page_in_english(staff_en_client, network):
    page = html(staff_en_client.get(OVERVIEW_URL))

    assert '<html lang="en">' in page
    assert "<h1>Participation overview</h1>" in page
    assert "Registrations per municipality and meeting" in page


# --- Query count -----------------------------------------------------------------------------


def build_network(size, series, meeting_factory, municipality_factory, add_registration):
    meetings = [meeting_factory(series=series) for _ in range(2)]
    for _ in range(size):
        municipality = municipality_factory()
        add_registration(meetings[0], municipality)
        add_registration(meetings[1], municipality, Registration.Status.WAITLISTED)


# Session, user, the user's authenticator (the admin's second factor), the user's and the
# group's permissions, the series, the meetings, the registration counts, the "cannot
# attend" answers, the municipalities (with their successors) and their predecessors; and the
# network owner of the footer, while the cache is empty.
OVERVIEW_QUERIES = 12


@pytest.mark.parametrize("size", [3, 30])
def test_query_count_does_not_grow_with_the_data(
    staff_client,
    meeting_series_factory,
    meeting_factory,
    municipality_factory,
    add_registration,
    django_assert_num_queries,
    size,
):
    series = meeting_series_factory()
    build_network(size, series, meeting_factory, municipality_factory, add_registration)

    with django_assert_num_queries(OVERVIEW_QUERIES):
        response = staff_client.get(OVERVIEW_URL)

    assert response.status_code == 200
    assert len(response.context["overview"].rows) == size
    assert len(chart_bars(chart_svg(response))) == size


# --- Reachable from the admin ----------------------------------------------------------------


def test_admin_index_links_to_the_overview(staff_en_client):
    page = html(staff_en_client.get(reverse("admin:index")))

    assert f'<a href="{OVERVIEW_URL}">Participation overview</a>' in page
    # The admin's own list of models is still there.
    assert 'id="content-main"' in page


def test_admin_index_without_the_permission_has_no_link(client, user_factory):
    user = user_factory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_meeting"))
    sign_in_with_second_factor(client, user)

    page = html(client.get(reverse("admin:index")))

    assert OVERVIEW_URL not in page


def test_series_change_page_links_to_its_overview(staff_en_client, meeting_series_factory):
    series = meeting_series_factory()

    page = html(
        staff_en_client.get(reverse("admin:meetings_meetingseries_change", args=[series.pk]))
    )

    assert f'<a href="{OVERVIEW_URL}?series={series.pk}">Participation overview</a>' in page
    assert "historylink" in page  # the admin's own object tools are kept


# --- Mergers and cancelled meetings ---------------------------------------------------------


@pytest.fixture
def two_eras(meeting_series_factory, meeting_factory, municipality_factory, add_registration):
    """Fjell registered in 2018; on 1 January 2020 it merged with Sund into Øygarden, whose
    people registered in 2020."""
    from members.services import municipalities_merge

    fjell = municipality_factory(name="Fjell", number="1246")
    sund = municipality_factory(name="Sund", number="1245", member_since=None)
    series_2018 = meeting_series_factory(year=2018)
    kickoff = meeting_factory(
        series=series_2018, starts_at=dt.datetime(2018, 3, 7, 10, tzinfo=dt.UTC)
    )
    first = add_registration(kickoff, fjell)
    oygarden = municipalities_merge(
        municipalities=[fjell, sund],
        number="4626",
        name="Øygarden",
        county="Vestland",
        on=dt.date(2020, 1, 1),
    )
    series_2020 = meeting_series_factory(year=2020)
    spring = meeting_factory(
        series=series_2020, starts_at=dt.datetime(2020, 3, 4, 10, tzinfo=dt.UTC)
    )
    add_registration(spring, oygarden)
    # The 2018 person, now of Øygarden, registers again in 2020.
    person = first.contact_person
    person.refresh_from_db()
    assert person.municipality == oygarden
    Registration.objects.create(meeting=spring, contact_person=person)
    return {
        "fjell": fjell,
        "sund": sund,
        "oygarden": oygarden,
        "series_2018": series_2018,
        "series_2020": series_2020,
        "kickoff": kickoff,
        "spring": spring,
    }


def test_each_series_counts_the_municipalities_of_its_time(two_eras):
    n = two_eras
    then = participation_overview(n["series_2018"])
    assert {row.municipality.name: row.is_member for row in then.rows} == {"Fjell": True}
    assert then.count(n["fjell"], n["kickoff"]) == RegistrationCount(1, 0)

    later = participation_overview(n["series_2020"])
    assert {row.municipality.name: row.is_member for row in later.rows} == {"Øygarden": True}
    assert later.count(n["oygarden"], n["spring"]) == RegistrationCount(2, 0)


def test_the_table_marks_predecessors_and_successors(staff_en_client, two_eras):
    n = two_eras
    then = html(staff_en_client.get(OVERVIEW_URL, {"series": n["series_2018"].pk}))
    assert '<span class="participation-merged">merged into Øygarden (2020)</span>' in then
    later = html(staff_en_client.get(OVERVIEW_URL, {"series": n["series_2020"].pk}))
    assert '<span class="participation-merged">formerly Fjell, Sund</span>' in later


def test_cancelled_meetings_stay_out_of_the_totals(network):
    Meeting.objects.filter(pk=network["held"].pk).update(status=Meeting.Status.CANCELLED)

    overview = participation_overview(network["series"])

    totals = {row.municipality.name: row.total for row in overview.rows}
    # Bergen's three and Voss's one for the cancelled meeting are not counted...
    assert totals["Bergen"] == RegistrationCount(1, 1)
    assert totals["Voss"] == RegistrationCount(1, 0)
    assert overview.total == RegistrationCount(3, 1)
    # ...but its column still shows them.
    assert overview.meeting_totals[0] == RegistrationCount(4, 0)


def test_cannot_attend_answers_are_shown_under_the_municipality_they_went_to(
    network, staff_en_client, mailing_factory, mailing_recipient_factory, municipality_factory
):
    mailing = mailing_factory(meeting=network["upcoming"])
    modalen = Municipality.objects.get(name="Modalen")
    for municipality in [network["askoy"], network["askoy"], modalen]:
        mailing_recipient_factory(
            mailing=mailing, municipality=municipality, declined_at=timezone.now()
        )
    # An answer not given yet is no answer.
    mailing_recipient_factory(mailing=mailing, municipality=network["voss"])

    overview = participation_overview(network["series"])

    assert overview.count(network["askoy"], network["upcoming"]) == RegistrationCount(0, 0, 2)
    assert overview.count(network["voss"], network["upcoming"]).declined == 0
    # Modalen only answered, and is a row for it.
    assert "Modalen" in [row.municipality.name for row in overview.rows]
    assert overview.meeting_totals[1] == RegistrationCount(2, 1, 3)
    rows = table_rows(staff_en_client.get(OVERVIEW_URL))
    assert rows["Askøy"][1] == "0, 2 cannot attend"
    assert rows["Modalen"][1] == "0, 1 cannot attend"


# --- Downloads ------------------------------------------------------------------------------


def csv_table(response, delimiter=";") -> list[list[str]]:
    import csv
    import io

    # Semicolons and a byte order mark by default: what Norwegian Excel opens as a table.
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_the_overview_as_csv(staff_en_client, two_eras):
    n = two_eras
    page = html(staff_en_client.get(OVERVIEW_URL, {"series": n["series_2018"].pk}))
    csv_url = reverse("meetings:overview_csv") + f"?series={n['series_2018'].pk}"
    assert f'href="{csv_url}"' in page.replace("&amp;", "&")

    response = staff_en_client.get(csv_url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "-2018-participation.csv" in response["Content-Disposition"]
    table = csv_table(response)
    assert table[0][:4] == ["Municipality", "Municipality number", "Member at the time", "Mergers"]
    assert table[0][-4:] == [
        "Confirmed in total",
        "On the waiting list in total",
        "Cannot attend in total",
        "Attended in total",
    ]
    assert table[1][:4] == ["Fjell", "1246", "Yes", "merged into Øygarden (2020)"]
    assert table[1][-4:] == ["1", "0", "0", "0"]
    assert table[-1][0] == "Total"


def test_the_overview_as_csv_with_commas(staff_en_client, two_eras):
    n = two_eras
    csv_url = reverse("meetings:overview_csv") + f"?series={n['series_2018'].pk}"
    page = html(staff_en_client.get(OVERVIEW_URL, {"series": n["series_2018"].pk}))
    assert f'href="{csv_url}&separator=comma"' in page.replace("&amp;", "&")

    table = csv_table(staff_en_client.get(csv_url + "&separator=comma"), delimiter=",")

    assert table[1][:4] == ["Fjell", "1246", "Yes", "merged into Øygarden (2020)"]
    assert staff_en_client.get(csv_url + "&separator=tab").status_code == 400


def test_the_overview_as_excel_has_every_row(staff_en_client, network, monkeypatch):
    from openpyxl import load_workbook

    monkeypatch.setattr(views, "OVERVIEW_ROWS_PER_PAGE", 2)
    response = staff_en_client.get(reverse("meetings:overview_xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io_bytes(response.content)).active
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    # Not a page of the table: every municipality, then the totals.
    assert names == ["Askøy", "Bergen", "Fedje", "Voss", "Total"]


def io_bytes(content: bytes):
    import io

    return io.BytesIO(content)


def test_the_download_of_an_unknown_series_is_a_404(staff_en_client, network):
    assert (
        staff_en_client.get(reverse("meetings:overview_csv") + "?series=999999").status_code == 404
    )


def test_the_download_is_for_the_same_staff_as_the_page(client, user_factory, network):
    member = user_factory(email="medlem@example.org")
    client.force_login(member)
    assert client.get(reverse("meetings:overview_csv")).status_code == 403


def test_the_download_names_cancelled_meetings_in_the_language_asked(staff_client, network):
    Meeting.objects.filter(pk=network["held"].pk).update(status=Meeting.Status.CANCELLED)
    table = csv_table(staff_client.get(reverse("meetings:overview_csv")))
    assert table[0][0] == "Kommune"
    assert table[0][4].startswith("Oppstart (")
    assert table[0][4].endswith(") – Avlyst")
