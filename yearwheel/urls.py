from django.urls import path

from . import views

app_name = "yearwheel"

urlpatterns = [
    path("", views.YearWheelView.as_view(), name="current"),
    path("<int:year>/", views.YearWheelView.as_view(), name="year"),
    path("<int:year>/arshjul.svg", views.year_wheel_svg, name="svg"),
]
