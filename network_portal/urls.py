from allauth.account.views import RequestReauthenticationCodeView
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import TemplateView

from meetings import views as meeting_views
from meetings.converters import CalendarTokenConverter
from members.account_forms import RequestReauthenticationCodeForm
from members.views import (
    AccountDeletedView,
    AccountDeleteView,
    CalendarFeedResetView,
    LanguageSwitchView,
    PersonalDataExportView,
    ProfileView,
    SignOutEverywhereView,
    WaitingView,
)

from . import views

register_converter(CalendarTokenConverter, "calendar_token")

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="accessibility.html"),
        name="accessibility",
    ),
    path("privacy/", views.PrivacyView.as_view(), name="privacy"),
    path("meetings/", include("meetings.urls")),
    path("projects/", include("projects.urls")),
    path("year/", include("yearwheel.urls")),
    path("my-meetings/", meeting_views.MyMeetingsView.as_view(), name="my_meetings"),
    path("calendar/network.ics", meeting_views.network_feed, name="network_feed"),
    path("invitations/<str:token>/", meeting_views.InvitationView.as_view(), name="invitation"),
    path(
        "invitations/<str:token>/decline/",
        meeting_views.InvitationDeclineView.as_view(),
        name="invitation_decline",
    ),
    path("polls/<str:token>/", meeting_views.PollLinkView.as_view(), name="poll_link"),
    path(
        "calendar/<calendar_token:token>.ics",
        meeting_views.personal_feed,
        name="personal_feed",
    ),
    path("profile/", ProfileView.as_view(), name="profile"),
    path(
        "profile/calendar-feed/reset/",
        CalendarFeedResetView.as_view(),
        name="profile_reset_feed",
    ),
    path("profile/waiting/", WaitingView.as_view(), name="profile_waiting"),
    path("profile/export/", PersonalDataExportView.as_view(), name="profile_export"),
    path("profile/delete/", AccountDeleteView.as_view(), name="profile_delete"),
    path("profile/deleted/", AccountDeletedView.as_view(), name="profile_deleted"),
    path(
        "profile/sign-out-everywhere/",
        SignOutEverywhereView.as_view(),
        name="profile_sign_out_everywhere",
    ),
    # Before allauth's own: this view takes no form from ACCOUNT_FORMS.
    path(
        "accounts/reauthenticate/code/",
        RequestReauthenticationCodeView.as_view(form_class=RequestReauthenticationCodeForm),
        name="account_request_reauthentication_code",
    ),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", LanguageSwitchView.as_view(), name="set_language"),
    path("admin/", admin.site.urls),
]
