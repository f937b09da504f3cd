from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.IdeaListView.as_view(), name="list"),
    path("new/", views.IdeaCreateView.as_view(), name="create"),
    path("export.csv", views.IdeaExportView.as_view(), name="export"),
    path("programmes/follow/", views.FollowProgrammesView.as_view(), name="follow_programmes"),
    path("<int:pk>/", views.IdeaDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.IdeaUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.IdeaDeleteView.as_view(), name="delete"),
    path("<int:pk>/interest/", views.InterestCreateView.as_view(), name="interest"),
    path(
        "interests/<int:pk>/withdraw/",
        views.InterestWithdrawView.as_view(),
        name="interest_withdraw",
    ),
    path(
        "municipalities/<str:number>/",
        views.MunicipalityDetailView.as_view(),
        name="municipality",
    ),
]
