"""Every URL in the urlconf, requested by every kind of visitor, answers with the status the
table in docs/roles.md promises.

A URL added without a row here fails `test_every_url_has_a_row`. Rows give the GET status for
the seven roles in the order of ROLES; POST-only pages answer GET with 405 once the visitor is
let in, which shows they are let in. Redirects are checked for where they lead, so a 302 to the
login page is not mistaken for a 302 onward.
"""

import datetime as dt
import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from meetings.invitations import recipient_token
from meetings.models import DatePoll, DatePollCandidate
from meetings.polls import poll_token
from members.models import NetworkOwner
from outbox.models import OutboxEmail
from projects.models import CallReminder
from tests import factories
from tests.helpers import sign_in_with_second_factor

ROLES = (
    "anonymous",
    "member_a",
    "member_b",
    "coordinator_a",
    "unlinked",
    "county_staff",
    "bare_staff",
)

LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"
REAUTH = "/accounts/reauthenticate/"
REAUTH_CODE = "/accounts/reauthenticate/code/"
PASSWORD_CHANGE = "/accounts/password/change/"
TWO_FACTOR = "/accounts/2fa/"
WAITING = "/profile/waiting/"
PROFILE = "/profile/"
MY_MEETINGS = "/my-meetings/"
HOME = "/"
ADMIN_LOGIN = "/admin/login/"
ADMIN_INDEX = "/admin/"
# An invitation leads on to the meeting's registration form; the admin's "view on site" to
# the meeting's page.
REGISTER = "/meetings/{slug}/register/"
SITE_PAGE = "http://example.com/meetings/{slug}/"

# name: (anonymous, member_a, member_b, coordinator_a, unlinked, county_staff, bare_staff)
# Member A's registration, idea and feed; member B's interest in A's idea; A's municipality.
SITE = {
    "accessibility": (200, 200, 200, 200, 200, 200, 200),
    "account_change_password": ((302, LOGIN), 200, 200, 200, 200, 200, 200),
    "account_confirm_email": (200, 200, 200, 200, 200, 200, 200),
    "account_confirm_login_code": (
        (302, LOGIN),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
    ),
    "account_confirm_reauthentication_code": (
        (302, LOGIN),
        (302, REAUTH_CODE),
        (302, REAUTH_CODE),
        (302, REAUTH_CODE),
        (302, REAUTH_CODE),
        (302, REAUTH_CODE),
        (302, REAUTH_CODE),
    ),
    "account_email": ((302, LOGIN), 200, 200, 200, 200, 200, 200),
    "account_email_verification_sent": (200, 200, 200, 200, 200, 200, 200),
    "account_inactive": (200, 200, 200, 200, 200, 200, 200),
    "account_login": (
        200,
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
    ),
    "account_logout": ((302, HOME), 200, 200, 200, 200, 200, 200),
    "account_reauthenticate": ((302, LOGIN), 200, 200, 200, 200, 200, 200),
    "account_request_reauthentication_code": (
        (302, LOGIN),
        200,
        200,
        200,
        200,
        (302, REAUTH),
        (302, REAUTH),
    ),
    "account_reset_password": (200, 200, 200, 200, 200, 200, 200),
    "account_reset_password_done": (200, 200, 200, 200, 200, 200, 200),
    "account_reset_password_from_key": (200, 200, 200, 200, 200, 200, 200),
    "account_reset_password_from_key_done": (200, 200, 200, 200, 200, 200, 200),
    "account_set_password": (
        (302, LOGIN),
        (302, PASSWORD_CHANGE),
        (302, PASSWORD_CHANGE),
        (302, PASSWORD_CHANGE),
        (302, PASSWORD_CHANGE),
        (302, PASSWORD_CHANGE),
        (302, PASSWORD_CHANGE),
    ),
    "account_signup": (
        200,
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
    ),
    "healthz": (200, 200, 200, 200, 200, 200, 200),
    "home": (200, 200, 200, 200, 200, 200, 200),
    "invitation": (
        (302, LOGIN),
        (302, REGISTER),
        (302, REGISTER),
        (302, REGISTER),
        (302, REGISTER),
        (302, REGISTER),
        (302, REGISTER),
    ),
    "invitation_decline": (200, 200, 200, 200, 200, 200, 200),
    # Member A's own attendance confirmation for a meeting she was checked in to.
    "meetings:attendance_confirmation": ((302, LOGIN), 200, 404, 404, 404, 404, 404),
    "meetings:calendar": (200, 200, 200, 200, 200, 200, 200),
    # At the door: county staff with the permission to check people in.
    "meetings:check_in": ((302, ADMIN_LOGIN), 403, 403, 403, 403, 200, 403),
    "meetings:check_in_toggle": ((302, ADMIN_LOGIN), 403, 403, 403, 403, 405, 403),
    "meetings:check_in_walk_in": ((302, ADMIN_LOGIN), 403, 403, 403, 403, 405, 403),
    "meetings:detail": (200, 200, 200, 200, 200, 200, 200),
    "meetings:list": (200, 200, 200, 200, 200, 200, 200),
    # A file for members (the world's material); upload and removal are POST only.
    "meetings:material": ((302, LOGIN), 200, 200, 200, 403, 200, 403),
    "meetings:material_upload": ((302, LOGIN), 405, 405, 405, 405, 405, 405),
    "meetings:material_remove": ((302, LOGIN), 405, 405, 405, 405, 405, 405),
    "meetings:overview": ((302, ADMIN_LOGIN), 403, 403, 403, 403, 200, 403),
    "meetings:overview_csv": ((302, ADMIN_LOGIN), 403, 403, 403, 403, 200, 403),
    "meetings:overview_xlsx": ((302, ADMIN_LOGIN), 403, 403, 403, 403, 200, 403),
    # Public to read; only members answer, and only their posts are taken.
    "meetings:poll": (200, 200, 200, 200, 200, 200, 200),
    "meetings:register": ((302, LOGIN), 200, 200, 200, 200, 200, 200),
    "meetings:registration_cancel": ((302, LOGIN), 200, 404, 200, 404, 404, 404),
    "meetings:registration_edit": ((302, LOGIN), 200, 404, 200, 404, 404, 404),
    "mfa_activate_totp": ((302, LOGIN), *((302, REAUTH),) * 6),
    "mfa_add_webauthn": ((302, LOGIN), *((302, REAUTH),) * 6),
    "mfa_authenticate": (
        (302, LOGIN),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
        (302, MY_MEETINGS),
    ),
    "mfa_deactivate_totp": ((302, LOGIN), 404, 404, 404, 404, (302, REAUTH), (302, REAUTH)),
    "mfa_download_recovery_codes": ((302, LOGIN), 404, 404, 404, 404, 404, 404),
    "mfa_edit_webauthn": (
        (302, LOGIN),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
    ),
    "mfa_generate_recovery_codes": (
        (302, LOGIN),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
    ),
    "mfa_index": ((302, LOGIN), 200, 200, 200, 200, 200, 200),
    "mfa_list_webauthn": ((302, LOGIN), 200, 200, 200, 200, 200, 200),
    "mfa_reauthenticate": (
        (302, LOGIN),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        200,
        200,
    ),
    "mfa_reauthenticate_webauthn": (
        (302, LOGIN),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
    ),
    "mfa_remove_webauthn": (
        (302, LOGIN),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
    ),
    "mfa_view_recovery_codes": ((302, LOGIN), 404, 404, 404, 404, 404, 404),
    "my_meetings": ((302, LOGIN), 200, 200, 200, (302, WAITING), 200, (302, WAITING)),
    "network_feed": (200, 200, 200, 200, 200, 200, 200),
    "personal_feed": (200, 200, 200, 200, 200, 200, 200),
    # A personal link: it answers for the invited address, whoever holds it.
    "poll_link": (200, 200, 200, 200, 200, 200, 200),
    "privacy": (200, 200, 200, 200, 200, 200, 200),
    "yearwheel:current": (200, 200, 200, 200, 200, 200, 200),
    "yearwheel:year": (200, 200, 200, 200, 200, 200, 200),
    "yearwheel:svg": (200, 200, 200, 200, 200, 200, 200),
    "profile": ((302, LOGIN), 200, 200, 200, 200, 200, 200),
    "profile_delete": (
        (302, LOGIN),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, REAUTH),
        (302, PROFILE),
        (302, PROFILE),
    ),
    "profile_deleted": (200, 200, 200, 200, 200, 200, 200),
    "profile_export": ((302, LOGIN), 200, 200, 200, 200, 200, 200),
    "profile_reset_feed": ((302, LOGIN), 405, 405, 405, 405, 405, 405),
    "profile_sign_out_everywhere": ((302, LOGIN), 405, 405, 405, 405, 405, 405),
    "profile_waiting": (
        (302, LOGIN),
        (302, PROFILE),
        (302, PROFILE),
        (302, PROFILE),
        200,
        (302, PROFILE),
        200,
    ),
    "projects:create": ((302, LOGIN), 200, 200, 200, (302, WAITING), 403, (302, WAITING)),
    "projects:delete": ((302, LOGIN), 200, 403, 200, (302, WAITING), 403, (302, WAITING)),
    "projects:detail": ((302, LOGIN), 200, 200, 200, (302, WAITING), 200, (302, WAITING)),
    "projects:edit": ((302, LOGIN), 200, 403, 200, (302, WAITING), 403, (302, WAITING)),
    "projects:export": ((302, LOGIN), 403, 403, 403, 403, 200, 403),
    "projects:interest": ((302, LOGIN), 405, 405, 405, (302, WAITING), 405, (302, WAITING)),
    "projects:interest_withdraw": (
        (302, LOGIN),
        405,
        405,
        405,
        (302, WAITING),
        405,
        (302, WAITING),
    ),
    "projects:list": ((302, LOGIN), 200, 200, 200, (302, WAITING), 200, (302, WAITING)),
    "projects:follow_programmes": (
        (302, LOGIN),
        200,
        200,
        200,
        (302, WAITING),
        200,
        (302, WAITING),
    ),
    "projects:municipality": ((302, LOGIN), 200, 200, 200, (302, WAITING), 200, (302, WAITING)),
    # The language buttons post; a GET is refused whoever asks.
    "set_language": (405,) * 7,
}

# Admin pages: (county staff, bare staff). Every other role is sent to the admin's login
# (ADMIN_NON_STAFF says otherwise where the page itself differs).
ADMIN = {
    "admin:account_emailaddress_add": (403, 403),
    "admin:account_emailaddress_change": (403, 403),
    "admin:account_emailaddress_changelist": (403, 403),
    "admin:account_emailaddress_delete": (403, 403),
    "admin:account_emailaddress_history": (403, 403),
    "admin:app_list": (200, 404),
    "admin:auth_group_add": (403, 403),
    "admin:auth_group_change": (403, 403),
    "admin:auth_group_changelist": (403, 403),
    "admin:auth_group_delete": (403, 403),
    "admin:auth_group_history": (403, 403),
    "admin:auth_user_password_change": (403, 403),
    "admin:autocomplete": (403, 403),
    "admin:django_tasks_database_dbtaskresult_add": (403, 403),
    "admin:django_tasks_database_dbtaskresult_change": (403, 403),
    "admin:django_tasks_database_dbtaskresult_changelist": (403, 403),
    "admin:django_tasks_database_dbtaskresult_delete": (403, 403),
    "admin:django_tasks_database_dbtaskresult_history": ((302, ADMIN_INDEX), (302, ADMIN_INDEX)),
    "admin:index": (200, 200),
    "admin:jsi18n": (200, 200),
    "admin:login": ((302, ADMIN_INDEX), (302, ADMIN_INDEX)),
    "admin:logout": (200, 200),
    "admin:meetings_datepoll_add": (200, 403),
    "admin:meetings_datepoll_change": (200, 403),
    "admin:meetings_datepoll_changelist": (200, 403),
    "admin:meetings_datepoll_delete": (403, 403),
    "admin:meetings_datepoll_history": (200, 403),
    "admin:meetings_datepoll_pick": (200, 403),
    "admin:meetings_mailing_add": (200, 403),
    "admin:meetings_mailing_change": (200, 403),
    "admin:meetings_mailing_changelist": (200, 403),
    "admin:meetings_mailing_delete": (200, 403),
    "admin:meetings_mailing_history": (200, 403),
    # A test send is a POST.
    "admin:meetings_mailing_send_test": (405, 403),
    "admin:meetings_mailingrecipient_add": (403, 403),
    "admin:meetings_mailingrecipient_change": (200, 403),
    "admin:meetings_mailingrecipient_changelist": (200, 403),
    # The world's mailing is a draft: its addresses may be taken off (a sent one's may not).
    "admin:meetings_mailingrecipient_delete": (200, 403),
    "admin:meetings_mailingrecipient_history": (200, 403),
    "admin:meetings_material_add": (403, 403),
    "admin:meetings_material_change": (200, 403),
    "admin:meetings_material_changelist": (200, 403),
    "admin:meetings_material_delete": (200, 403),
    "admin:meetings_material_history": (200, 403),
    "admin:meetings_meeting_add": (200, 403),
    "admin:meetings_meeting_change": (200, 403),
    "admin:meetings_meeting_changelist": (200, 403),
    "admin:meetings_meeting_delete": (403, 403),
    "admin:meetings_meeting_history": (200, 403),
    "admin:meetings_meeting_participants_csv": (200, 403),
    "admin:meetings_meeting_participants_xlsx": (200, 403),
    "admin:meetings_meeting_simple_history": (200, 403),
    "admin:meetings_meetingseries_add": (200, 403),
    "admin:meetings_meetingseries_change": (200, 403),
    "admin:meetings_meetingseries_changelist": (200, 403),
    "admin:meetings_meetingseries_delete": (200, 403),
    "admin:meetings_meetingseries_history": (200, 403),
    "admin:meetings_registration_add": (200, 403),
    "admin:meetings_registration_change": (200, 403),
    "admin:meetings_registration_changelist": (200, 403),
    "admin:meetings_registration_delete": (403, 403),
    "admin:meetings_registration_history": (200, 403),
    "admin:meetings_registration_simple_history": (200, 403),
    "admin:members_contactperson_add": (200, 403),
    "admin:members_contactperson_change": (200, 403),
    "admin:members_contactperson_changelist": (200, 403),
    "admin:members_contactperson_delete": (403, 403),
    "admin:members_contactperson_history": (200, 403),
    "admin:members_contactperson_import": (200, 403),
    "admin:members_contactperson_process_import": (405, 405),
    "admin:members_contactperson_simple_history": (200, 403),
    "admin:members_municipality_add": (200, 403),
    # One row: no list, no adding, no deleting; the list's address opens the row itself.
    "admin:members_networkowner_add": (403, 403),
    "admin:members_networkowner_change": (200, 403),
    "admin:members_networkowner_changelist": (200, 403),
    "admin:members_networkowner_delete": (403, 403),
    "admin:members_networkowner_history": (200, 403),
    "admin:members_networkowner_simple_history": (200, 403),
    "admin:members_municipality_change": (200, 403),
    "admin:members_municipality_changelist": (200, 403),
    "admin:members_municipality_delete": (403, 403),
    "admin:members_municipality_history": (200, 403),
    # Without municipalities chosen in the list, the merger's form sends staff back there.
    "admin:members_municipality_merge": ((302, "/admin/members/municipality/"), 403),
    "admin:members_municipality_simple_history": (200, 403),
    "admin:members_user_add": (403, 403),
    "admin:members_user_change": (200, 403),
    "admin:members_user_changelist": (200, 403),
    "admin:members_user_delete": (403, 403),
    "admin:members_user_history": (200, 403),
    "admin:mfa_authenticator_add": (403, 403),
    "admin:mfa_authenticator_change": (403, 403),
    "admin:mfa_authenticator_changelist": (403, 403),
    "admin:mfa_authenticator_delete": (403, 403),
    "admin:mfa_authenticator_history": (403, 403),
    "admin:outbox_outboxemail_add": (403, 403),
    "admin:outbox_outboxemail_change": (200, 403),
    "admin:outbox_outboxemail_changelist": (200, 403),
    "admin:outbox_outboxemail_delete": (403, 403),
    "admin:outbox_outboxemail_history": (200, 403),
    "admin:password_change": (200, 200),
    "admin:password_change_done": (200, 200),
    "admin:projects_call_add": (200, 403),
    "admin:projects_call_change": (200, 403),
    "admin:projects_call_changelist": (200, 403),
    "admin:projects_call_delete": (200, 403),
    "admin:projects_call_history": (200, 403),
    "admin:projects_callreminder_add": (403, 403),
    "admin:projects_callreminder_change": (200, 403),
    "admin:projects_callreminder_changelist": (200, 403),
    "admin:projects_callreminder_delete": (403, 403),
    "admin:projects_callreminder_history": (200, 403),
    "admin:projects_euprogramme_add": (200, 403),
    "admin:projects_euprogramme_change": (200, 403),
    "admin:projects_euprogramme_changelist": (200, 403),
    "admin:projects_euprogramme_delete": (200, 403),
    "admin:projects_euprogramme_history": (200, 403),
    "admin:projects_interest_add": (200, 403),
    "admin:projects_interest_change": (200, 403),
    "admin:projects_interest_changelist": (200, 403),
    "admin:projects_interest_delete": (403, 403),
    "admin:projects_interest_history": (200, 403),
    "admin:projects_programmefollow_add": (403, 403),
    "admin:projects_programmefollow_change": (200, 403),
    "admin:projects_programmefollow_changelist": (200, 403),
    "admin:projects_programmefollow_delete": (403, 403),
    "admin:projects_programmefollow_history": (200, 403),
    "admin:projects_projectidea_add": (200, 403),
    "admin:projects_projectidea_change": (200, 403),
    "admin:projects_projectidea_changelist": (200, 403),
    "admin:projects_projectidea_delete": (200, 403),
    "admin:projects_projectidea_history": (200, 403),
    "admin:sites_site_add": (403, 403),
    "admin:sites_site_change": (403, 403),
    "admin:sites_site_changelist": (403, 403),
    "admin:sites_site_delete": (403, 403),
    "admin:sites_site_history": (403, 403),
    "admin:view_on_site": ((302, SITE_PAGE), (302, SITE_PAGE)),
}
ADMIN_NON_STAFF = {
    "admin:login": ((302, LOGIN), 403, 403, 403, 403),
    "admin:logout": (
        (302, ADMIN_INDEX),
        (302, ADMIN_INDEX),
        (302, ADMIN_INDEX),
        (302, ADMIN_INDEX),
        (302, ADMIN_INDEX),
    ),
}


def url_names():
    """Every named URL of the urlconf, namespaced, with its pattern."""

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = pattern.name
                if name is None:
                    yield f"{namespace}:<unnamed {pattern.pattern}>", pattern
                else:
                    yield (f"{namespace}:{name}" if namespace else name), pattern

    return dict(walk(get_resolver().url_patterns))


STANDARD_ADMIN = re.compile(r"^admin:(\w+?)_(\w+)_(changelist|add|change|delete|history)$")


@pytest.fixture
def world(db, user_factory, material_storage):
    a = factories.MunicipalityFactory(name="Arna", number="4601")
    factories.EmailDomainFactory(municipality=a, domain="arna.kommune.test")
    b = factories.MunicipalityFactory(name="Bømlo", number="4613")
    factories.EmailDomainFactory(municipality=b, domain="bomlo.kommune.test")
    member_a = factories.LinkedContactPersonFactory(email="anne@arna.kommune.test", municipality=a)
    member_b = factories.LinkedContactPersonFactory(
        email="bjorn@bomlo.kommune.test", municipality=b
    )
    coordinator_a = factories.LinkedContactPersonFactory(
        email="kari@arna.kommune.test", municipality=a, coordinator=True
    )
    unlinked = factories.LinkedContactPersonFactory(email="someone@gmail.test", municipality=None)
    staff = user_factory(email="fylke@fylke.test", is_staff=True)
    staff.groups.add(Group.objects.get(name="County staff"))
    bare = user_factory(email="bare@fylke.test", is_staff=True)
    meeting = factories.MeetingFactory(online_url="https://video.example.org/rom")
    registration = factories.RegistrationFactory(meeting=meeting, contact_person=member_a)
    idea = factories.ProjectIdeaFactory(contact_person=member_a)
    interest = factories.InterestFactory(idea=idea, contact_person=member_b)
    OutboxEmail.objects.create(kind="test", to=member_a.email, subject="Hei", body="Hei")
    recipient = factories.MailingRecipientFactory(
        mailing=factories.MailingFactory(meeting=meeting),
        contact_person=member_a,
        email=member_a.email,
    )
    material = factories.MaterialFactory(meeting=meeting)
    held = factories.MeetingFactory(
        status="held",
        starts_at=timezone.now() - dt.timedelta(days=30),
        ends_at=timezone.now() - dt.timedelta(days=30) + dt.timedelta(hours=3),
    )
    factories.RegistrationFactory(
        meeting=held, contact_person=member_a, attended_at=timezone.now(), attended_by=staff
    )
    tentative = factories.MeetingFactory(tentative=True)
    poll = DatePoll.objects.create(
        meeting=tentative, closes_at=timezone.now() + dt.timedelta(days=7)
    )
    candidate = DatePollCandidate.objects.create(
        poll=poll,
        starts_at=timezone.now() + dt.timedelta(days=30),
        ends_at=timezone.now() + dt.timedelta(days=30, hours=3),
    )
    poll_recipient = factories.MailingRecipientFactory(
        mailing=factories.MailingFactory(meeting=tentative, queued_at=timezone.now()),
        contact_person=member_a,
        email=member_a.email,
    )
    NetworkOwner.objects.create(name="Vestland fylkeskommune")
    call = factories.CallFactory()
    factories.ProgrammeFollowFactory(contact_person=member_a, programme=call.programme)
    CallReminder.objects.create(call=call, contact_person=member_a, days_before=28)
    return {
        "users": {
            "member_a": member_a.user,
            "member_b": member_b.user,
            "coordinator_a": coordinator_a.user,
            "unlinked": unlinked.user,
            "county_staff": staff,
            "bare_staff": bare,
        },
        "kwargs": {
            "meetings:detail": {"slug": meeting.slug},
            "meetings:calendar": {"slug": meeting.slug},
            "meetings:check_in": {"slug": meeting.slug},
            "meetings:check_in_toggle": {"slug": meeting.slug, "pk": registration.pk},
            "meetings:check_in_walk_in": {"slug": meeting.slug},
            "meetings:attendance_confirmation": {"slug": held.slug},
            "meetings:register": {"slug": meeting.slug},
            "meetings:registration_edit": {"pk": registration.pk},
            "meetings:registration_cancel": {"pk": registration.pk},
            "meetings:material": {
                "slug": meeting.slug,
                "pk": material.pk,
                "filename": material.filename,
            },
            "meetings:material_upload": {"slug": meeting.slug},
            "meetings:material_remove": {"slug": meeting.slug, "pk": material.pk},
            "projects:detail": {"pk": idea.pk},
            "yearwheel:year": {"year": timezone.localdate(meeting.starts_at).year},
            "yearwheel:svg": {"year": timezone.localdate(meeting.starts_at).year},
            "projects:edit": {"pk": idea.pk},
            "projects:delete": {"pk": idea.pk},
            "projects:interest": {"pk": idea.pk},
            "projects:interest_withdraw": {"pk": interest.pk},
            "projects:municipality": {"number": a.number},
            "personal_feed": {"token": member_a.calendar_token},
            "invitation": {"token": recipient_token(recipient)},
            "invitation_decline": {"token": recipient_token(recipient)},
            "meetings:poll": {"slug": tentative.slug},
            "poll_link": {"token": poll_token(poll_recipient)},
            "account_confirm_email": {"key": "not-a-key"},
            "account_reset_password_from_key": {"uidb36": "1", "key": "not-a-key"},
            "mfa_edit_webauthn": {"pk": 999},
            "mfa_remove_webauthn": {"pk": 999},
        },
        "objects": {
            "meeting": meeting,
            "registration": registration,
            "idea": idea,
            "interest": interest,
            "recipient": recipient,
            "poll": poll,
            "candidate": candidate,
            "member_a": member_a,
            "a": a,
        },
    }


def client_as(role, world) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    user = world["users"][role]
    if user.is_staff:
        sign_in_with_second_factor(client, user)
    else:
        client.force_login(user)
    return client


def admin_object_ids(world):

    ids = {}
    for model in admin_site._registry:
        obj = model._default_manager.order_by("pk").first()
        ids[f"{model._meta.app_label}_{model._meta.model_name}"] = obj.pk if obj else None
    return ids


def admin_kwargs(name, pattern, world, ids):
    """Arguments for an admin URL: an existing object of its model."""
    m = STANDARD_ADMIN.match(name)
    text = str(pattern.pattern)
    meeting = world["objects"]["meeting"]
    if name == "admin:view_on_site":
        return {
            "content_type_id": ContentType.objects.get_for_model(meeting).pk,
            "object_id": meeting.pk,
        }
    if name == "admin:auth_user_password_change":
        return {"id": world["users"]["member_a"].pk}
    history = re.match(r"^admin:(\w+?)_(\w+)_simple_history$", name)
    if history:
        model = next(
            model
            for model in admin_site._registry
            if (model._meta.app_label, model._meta.model_name) == (history[1], history[2])
        )
        record = model.history.order_by("pk").first()
        return [record.instance.pk if record else 0, record.history_id if record else 0]
    if name == "admin:meetings_datepoll_pick":
        return {
            "object_id": world["objects"]["poll"].pk,
            "candidate_id": world["objects"]["candidate"].pk,
        }
    if "object_id" in text:
        key = f"{m[1]}_{m[2]}" if m else "meetings_meeting"
        return {"object_id": ids.get(key)}
    return {}


def test_every_url_has_a_row():
    named = {name for name in url_names() if ":<unnamed" not in name}
    assert named - set(SITE) - set(ADMIN) == set(), "URLs without a row in the matrix"
    assert (set(SITE) | set(ADMIN)) - named == set(), "rows for URLs that no longer exist"
    # Only the admin has unnamed patterns (its catch-all redirects).
    unnamed = {name for name in url_names() if ":<unnamed" in name}
    assert all(name.startswith("admin:") for name in unnamed)


def path_for(name, world):
    pattern = url_names()[name]
    if name.startswith("admin:"):
        ids = admin_object_ids(world)
        arguments = (
            {"app_label": "members"}
            if name == "admin:app_list"
            else admin_kwargs(name, pattern, world, ids)
        )
    else:
        arguments = world["kwargs"].get(name, {})
    if isinstance(arguments, list):
        return reverse(name, args=arguments)
    return reverse(name, kwargs=arguments)


def expected_row(name, world):
    if name in SITE:
        row = SITE[name]
    else:
        non_staff = ADMIN_NON_STAFF.get(name, ((302, ADMIN_LOGIN),) * 5)
        row = (*non_staff, *ADMIN[name])
    slug = world["objects"]["meeting"].slug
    return tuple(
        (entry[0], entry[1].format(slug=slug)) if isinstance(entry, tuple) else entry
        for entry in row
    )


@pytest.mark.parametrize("name", sorted(set(SITE) | set(ADMIN)))
def test_the_url_answers_as_the_matrix_says(name, world):
    # Signed in first: staff sign-ins make the authenticators the admin lists.
    clients = {role: client_as(role, world) for role in ROLES}
    path = path_for(name, world)
    expected = expected_row(name, world)
    answered = []
    for role in ROLES:
        response = clients[role].get(path)
        if response.status_code in (301, 302):
            answered.append((response.status_code, response["Location"].split("?")[0]))
        else:
            answered.append(response.status_code)
    assert dict(zip(ROLES, answered, strict=True)) == dict(zip(ROLES, expected, strict=True))
