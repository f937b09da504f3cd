"""/year/: the wheel, its table, the year switcher, the download and the home page's wheel."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories
from tests.clock import OSLO
from tests.yearwheel.data import SVG, inline_svg, mark_position, wheel_links
from yearwheel import geometry

pytestmark = pytest.mark.django_db


def page_of(client, year=None, **params) -> str:
    url = reverse("yearwheel:year", kwargs={"year": year}) if year else "/year/"
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def month_sector(year: int, month: int) -> tuple[float, float]:
    first = dt.date(year, month, 1)
    last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return geometry.day_start_angle(first), geometry.day_end_angle(last)


def links_by_kind(svg) -> dict[tuple[str, str], ET.Element]:
    return {(a.get("href"), a.get("data-kind")): a for a in wheel_links(svg)}


def test_the_year_is_this_year_in_oslo_by_default(client, seeded_year, freeze_now):
    freeze_now(dt.datetime(2027, 12, 31, 23, 30, tzinfo=OSLO))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "<h1>Annual wheel 2027</h1>" in page_of(client)
    # 23:30 UTC on 31 December is already the new year in Oslo.
    freeze_now(dt.datetime(2028, 1, 1, 0, 30, tzinfo=OSLO))
    assert "<h1>Annual wheel 2028</h1>" in page_of(client)


def test_each_meeting_is_drawn_in_its_month_and_linked(en_client, seeded_year):
    page = page_of(en_client, 2027)
    svg = inline_svg(page)
    assert svg.get("role") == "group"
    assert svg.get("aria-labelledby") == "yearwheel-title"
    assert svg.get("aria-describedby") == "yearwheel-desc"
    assert svg.find(f"{SVG}title").text == "Annual wheel 2027"
    assert "The year has 4 meetings." in svg.find(f"{SVG}desc").text
    assert "It has 3 registration deadlines." in svg.find(f"{SVG}desc").text

    links = links_by_kind(svg)
    expected = {
        (seeded_year.kickoff, "kickoff", 3),
        (seeded_year.kickoff, "deadline", 3),
        (seeded_year.june, "project_identification", 6),
        (seeded_year.workshop, "application_workshop", 10),
        (seeded_year.workshop, "deadline", 9),
        (seeded_year.january, "deadline", 12),
    }
    assert set(links) == {(m.get_absolute_url(), kind) for m, kind, _month in expected}
    for meeting, kind, month in expected:
        link = links[(meeting.get_absolute_url(), kind)]
        assert link.get("data-month") == str(month)
        start, end = month_sector(2027, month)
        assert start <= geometry.angle_of(*mark_position(link)) <= end, (meeting, kind)
        assert link.get("aria-label") == link.find(f"{SVG}title").text
        assert meeting.title in link.get("aria-label")

    kickoff = links[(seeded_year.kickoff.get_absolute_url(), "kickoff")]
    assert kickoff.get("aria-label") == "Kickoff: Oppstartsmøte 2027, 10 March 2027"
    deadline = links[(seeded_year.workshop.get_absolute_url(), "deadline")]
    assert deadline.get("aria-label") == (
        "Registration deadline: Søknadsworkshop 2027, 30 September 2027"
    )
    # Deadlines on the inner ring, meetings outside them.
    centre = geometry.CENTRE

    def radius(link):
        x, y = mark_position(link)
        return ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5

    assert radius(deadline) < radius(kickoff) - 30


def test_tentative_meeting_lies_over_its_period(en_client, seeded_year):
    svg = inline_svg(page_of(en_client, 2027))
    june = links_by_kind(svg)[(seeded_year.june.get_absolute_url(), "project_identification")]
    assert "is-tentative" in june.get("class")
    assert june.get("aria-label") == (
        "Project identification: Prosjekt og partnarar 2027, juni (date not fixed)"
    )
    period = next(p for p in june.iter(f"{SVG}path") if p.get("class") == "wheel-period")
    assert period.get("d").startswith("M ")
    # Half-way through June.
    start, end = month_sector(2027, 6)
    assert geometry.angle_of(*mark_position(june)) == pytest.approx((start + end) / 2, abs=0.1)


def test_cancelled_meetings_and_other_years_stay_off(en_client, seeded_year):
    page = page_of(en_client, 2027)
    assert seeded_year.cancelled.get_absolute_url() not in page
    svg = inline_svg(page)
    # The January meeting of 2028 is not on 2027's wheel; its December deadline is.
    assert {a.get("data-kind") for a in wheel_links(svg) if "nyttar" in a.get("href")} == {
        "deadline"
    }
    next_year = inline_svg(page_of(en_client, 2028))
    january = [a for a in wheel_links(next_year) if "nyttar" in a.get("href")]
    assert [a.get("data-kind") for a in january] == ["kickoff"]


def table_rows(page: str) -> dict[str, list[tuple[str, str, str]]]:
    """The table's rows by month: (date, what, link)."""
    table = page.split('class="table table-sm align-middle table-stack yearwheel-table"')[1]
    table = table.split("</table>")[0]
    groups = {}
    for group in re.findall(r"<tbody.*?</tbody>", table, re.S):
        month = re.search(r'<th scope="rowgroup"[^>]*>(.*?)</th>', group).group(1)
        rows = []
        for row in re.findall(r"<tr role=\"row\" data-kind.*?</tr>", group, re.S):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            what = re.sub(r"<svg.*?</svg>", "", cells[1], flags=re.S)
            link = re.search(r'href="([^"]+)"', cells[2]).group(1)
            rows.append((cells[0], what, link))
        groups[month] = rows
    return groups


def test_the_table_lists_the_same_month_by_month(en_client, seeded_year):
    rows = table_rows(page_of(en_client, 2027))
    kickoff, june, workshop, undated, january = (
        seeded_year.kickoff.get_absolute_url(),
        seeded_year.june.get_absolute_url(),
        seeded_year.workshop.get_absolute_url(),
        seeded_year.undated.get_absolute_url(),
        seeded_year.january.get_absolute_url(),
    )
    assert rows == {
        "March": [
            ("3 March 2027", "Registration deadline", kickoff),
            ("10 March 2027", "Kickoff", kickoff),
        ],
        "June": [("juni (date not fixed)", "Project identification", june)],
        "September": [("30 September 2027", "Registration deadline", workshop)],
        "October": [("14 October 2027", "Application workshop", workshop)],
        "December": [("20 December 2027", "Registration deadline", january)],
        "Date not fixed": [("etter avtale (date not fixed)", "Other", undated)],
    }


def test_the_table_links_each_meeting(en_client, seeded_year):
    page = page_of(en_client, 2027)
    assert f'<a href="{seeded_year.kickoff.get_absolute_url()}">Oppstartsmøte 2027</a>' in page


def test_year_switcher(en_client, seeded_year):
    page = page_of(en_client, 2027)
    switcher = page.split('<nav class="yearwheel-switcher')[1].split("</nav>")[0]
    assert 'href="/year/2026/" rel="prev"' in switcher
    assert 'href="/year/2028/" rel="next"' in switcher
    # This year is shown: no link to it.
    assert 'href="/year/">' not in switcher
    assert re.findall(r'<option value="(\d+)"( selected)?>', switcher) == [
        ("2028", ""),
        ("2027", " selected"),
        ("2018", ""),
    ]
    other = page_of(en_client, 2020)
    switcher = other.split('<nav class="yearwheel-switcher')[1].split("</nav>")[0]
    assert 'href="/year/">This year</a>' in switcher
    # A year without a series is among the choices while it is shown.
    assert '<option value="2020" selected>' in switcher


def test_the_switchers_form_goes_to_the_years_address(client, seeded_year):
    response = client.get("/year/", {"year": "2018"})
    assert response.status_code == 302
    assert response["Location"] == "/year/2018/"


@pytest.mark.parametrize("query", ["abc", "", "99", "20270", "１２３４", "1999", "2201"])
def test_bad_years_in_the_form_are_not_found(client, db, query):
    assert client.get("/year/", {"year": query}).status_code == 404


@pytest.mark.parametrize("year", [0, 1999, 2201, 99999])
def test_years_out_of_range_are_not_found(client, db, year):
    assert client.get(f"/year/{year}/").status_code == 404
    assert client.get(f"/year/{year}/arshjul.svg").status_code == 404


def test_an_empty_year_says_so(en_client, seeded_year):
    page = page_of(en_client, 2031)
    assert "Nothing is planned for 2031 yet" in page
    assert "Nothing to list for this year." in page
    assert wheel_links(inline_svg(page)) == []
    # Its twelve months are drawn all the same.
    assert len(inline_svg(page).findall(f".//{SVG}path[@class]")) >= 12


@pytest.mark.parametrize(
    ("language", "months"),
    [
        ("nn", ["Januar", "Mars", "Juni", "Desember"]),
        ("nb", ["Januar", "Mars", "Juni", "Desember"]),
        ("en", ["January", "March", "June", "December"]),
    ],
)
def test_month_names_in_the_active_language(client, seeded_year, language, months):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    svg = inline_svg(page_of(client, 2027))
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "wheel-month-label"]
    assert len(labels) == 12
    assert [labels[0], labels[2], labels[5], labels[11]] == months


def test_svg_download(client, seeded_year, settings):
    settings.SITE_URL = "https://portal.example.org"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nn"
    response = client.get(reverse("yearwheel:svg", kwargs={"year": 2027}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="arshjul-2027.svg"'
    body = response.content
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(body)  # noqa: S314 - our own file, not untrusted input
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox").startswith("0 0 600 ")
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "nn"
    title_id, desc_id = root.get("aria-labelledby"), root.get("aria-describedby")
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Årshjul 2027"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text
    style = root.find(f"{SVG}style").text
    assert ".yearwheel .mark-kickoff" in style
    hrefs = {a.get("href") for a in wheel_links(root)}
    assert f"https://portal.example.org{seeded_year.kickoff.get_absolute_url()}" in hrefs
    assert all(href.startswith("https://portal.example.org/meetings/") for href in hrefs)
    # The legend and the meeting without a month are in the file too.
    texts = "".join(root.itertext())
    assert "Påmeldingsfrist" in texts
    assert "Studietur" in texts


def test_svg_download_of_an_empty_year_is_valid(client, db):
    response = client.get(reverse("yearwheel:svg", kwargs={"year": 2040}))
    root = ET.fromstring(response.content)  # noqa: S314 - our own file
    assert root.find(f"{SVG}title").text


def test_print_stylesheet_is_linked(en_client, seeded_year):
    page = page_of(en_client, 2027)
    assert re.search(
        r'<link rel="stylesheet" href="[^"]*yearwheel-print\.css" media="print">', page
    )


def test_home_page_shows_the_small_wheel(en_client, seeded_year):
    page = en_client.get(reverse("home")).content.decode()
    section = page.split('id="year-heading"')[1].split("</section>")[0]
    assert '<a class="yearwheel-mini-link" href="/year/">' in section
    assert "Annual wheel 2027: the meetings round the year" in section
    mini = section[section.index("<svg") : section.index("</svg>") + len("</svg>")]
    svg = ET.fromstring(mini)  # noqa: S314 - our own page
    assert svg.get("aria-hidden") == "true"
    # Marks, but no links inside the link.
    assert len(svg.findall(f".//{SVG}g[@class]")) > 4
    assert svg.findall(f".//{SVG}a") == []


def test_home_page_shows_next_year_while_this_year_has_nothing(en_client, db):
    from tests import factories

    factories.MeetingFactory(
        series__year=2028,
        starts_at=dt.datetime(2028, 3, 8, 10, tzinfo=OSLO),
        ends_at=dt.datetime(2028, 3, 8, 12, tzinfo=OSLO),
        registration_deadline=dt.datetime(2028, 3, 1, 12, tzinfo=OSLO),
    )
    page = en_client.get(reverse("home")).content.decode()
    assert 'href="/year/2028/"' in page
    assert "Annual wheel 2028" in page


def test_home_pages_wheel_is_cached_until_a_meeting_changes(
    en_client, seeded_year, django_assert_num_queries, django_capture_on_commit_callbacks
):
    en_client.get(reverse("home"))
    # The next meetings only: the wheel's marks come from the cache.
    with django_assert_num_queries(1):
        en_client.get(reverse("home"))
    with django_capture_on_commit_callbacks(execute=True):
        seeded_year.workshop.title = "Skrivestove"
        seeded_year.workshop.save()
    with django_assert_num_queries(2):
        en_client.get(reverse("home"))
    # The /year/ page is never cached.
    assert "Skrivestove" in page_of(en_client, 2027)


def test_a_member_sees_the_deadlines_of_the_calls_they_follow(
    client_for, client, seeded_year, freeze_now
):
    freeze_now(dt.datetime(2027, 1, 15, 12, 0, tzinfo=OSLO))
    member = factories.LinkedContactPersonFactory()
    other = factories.LinkedContactPersonFactory()
    call = factories.CallFactory(
        title="Small-scale partnerships",
        programme=factories.EUProgrammeFactory(name="Erasmus+"),
        # 17:00 in Brussels on 1 October 2027.
        deadline=dt.datetime(2027, 10, 1, 15, 0, tzinfo=dt.UTC),
        opens_on=dt.date(2027, 1, 1),
    )
    factories.ProgrammeFollowFactory(contact_person=member, programme=call.programme)
    # A call of next year, and one of a programme nobody follows, stay off.
    factories.CallFactory(
        programme=call.programme,
        deadline=dt.datetime(2028, 2, 1, 12, 0, tzinfo=dt.UTC),
        opens_on=dt.date(2027, 1, 1),
    )
    factories.CallFactory(
        deadline=dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC), opens_on=dt.date(2027, 1, 1)
    )

    page = page_of(client_for(member), 2027)
    svg = inline_svg(page)
    (link,) = [a for a in wheel_links(svg) if a.get("data-kind") == "call_deadline"]
    assert link.get("href") == call.url
    assert link.get("data-month") == "10"
    start, end = month_sector(2027, 10)
    assert start <= geometry.angle_of(*mark_position(link)) <= end
    assert "Erasmus+: Small-scale partnerships" in page
    assert "Stars mark" not in svg.find(f"{SVG}desc").text  # one star, in the singular
    assert "A star marks the deadline of 1 call" in svg.find(f"{SVG}desc").text

    for stranger in (client, client_for(other)):
        assert "call_deadline" not in page_of(stranger, 2027)
