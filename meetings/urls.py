from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.MeetingListView.as_view(), name="list"),
    # Before the slug patterns, so "overview" is not taken for a meeting's slug.
    path("overview/", views.ParticipationOverviewView.as_view(), name="overview"),
    *(
        path(
            f"overview/participation.{file_format}",
            views.ParticipationOverviewExportView.as_view(file_format=file_format),
            name=f"overview_{file_format}",
        )
        for file_format in ("csv", "xlsx")
    ),
    path("<slug:slug>/", views.MeetingDetailView.as_view(), name="detail"),
    path("<slug:slug>/calendar.ics", views.meeting_calendar, name="calendar"),
    path("<slug:slug>/poll/", views.PollView.as_view(), name="poll"),
    path("<slug:slug>/register/", views.RegistrationCreateView.as_view(), name="register"),
    path("<slug:slug>/materials/", views.MaterialUploadView.as_view(), name="material_upload"),
    path(
        "<slug:slug>/materials/<int:pk>/remove/",
        views.MaterialDeleteView.as_view(),
        name="material_remove",
    ),
    path(
        "<slug:slug>/materials/<int:pk>/<str:filename>",
        views.material_download,
        name="material",
    ),
    path("<slug:slug>/check-in/", views.CheckInView.as_view(), name="check_in"),
    path("<slug:slug>/check-in/walk-in/", views.WalkInView.as_view(), name="check_in_walk_in"),
    path(
        "<slug:slug>/check-in/<int:pk>/",
        views.CheckInToggleView.as_view(),
        name="check_in_toggle",
    ),
    path(
        "<slug:slug>/attendance-confirmation/",
        views.AttendanceConfirmationView.as_view(),
        name="attendance_confirmation",
    ),
    path(
        "registrations/<int:pk>/edit/",
        views.RegistrationUpdateView.as_view(),
        name="registration_edit",
    ),
    path(
        "registrations/<int:pk>/cancel/",
        views.RegistrationCancelView.as_view(),
        name="registration_cancel",
    ),
]
