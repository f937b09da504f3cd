"""View mixins that apply members.permissions to whole pages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from .selectors import viewer_for


class DirectoryRequiredMixin(LoginRequiredMixin):
    """Pages with people's names, contact details and project ideas: for linked members and
    county staff. Visitors who are not signed in go to the login page; unlinked accounts to
    the page that says they wait for the county."""

    # View.setup sets it on the view this mixin is combined with.
    request: HttpRequest

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not viewer_for(request).sees_directory:
            return HttpResponseRedirect(reverse("profile_waiting"))
        return super().dispatch(request, *args, **kwargs)

    @property
    def viewer(self):
        return viewer_for(self.request)
