"""The portal's admin site: the staff door.

County staff run the network from the admin, so an admin page opens only to an active staff
account that has an authenticator (an authenticator app or a security key) and whose session
passed it. The whole site has one login, allauth's, with its rate limits and its two-factor
step; the admin's own login form, which took a password alone, is gone, and the admin's
logout is allauth's.

The rule lives in the AdminSite (`has_permission`, which `admin_view` checks for every admin
page, and `login`, where `admin_view` sends everyone it turns away) rather than in a
middleware on the URL prefix: every view the admin serves passes through `admin_view`, the
extra views of ModelAdmin.get_urls() and django-import-export's included, wherever the admin
is mounted. `PortalAdminConfig` (network_portal.apps) makes this site `admin.site`, so the
apps keep registering their models with `@admin.register` as before.
"""

from allauth.account.authentication import get_authentication_records
from allauth.account.views import LogoutView
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Recovery codes are not among them: allauth makes them only as a spare for one of these.
AUTHENTICATOR_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def has_authenticator(user) -> bool:
    return is_mfa_enabled(user, AUTHENTICATOR_TYPES)


def session_passed_second_factor(request) -> bool:
    """Whether this session's user passed a second factor: allauth records each step of a
    sign-in in the session, an authenticator app code, recovery code or security key as
    method "mfa" (at login, or when asked again later)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def second_factor_url(user) -> str:
    """allauth's page that asks `user` (who has an authenticator) for their second factor
    again: the code form for an authenticator app, the security key page for someone with
    only keys (whose recovery codes the code form would take, but not their key)."""
    if is_mfa_enabled(user, [Authenticator.Type.TOTP]):
        return reverse("mfa_reauthenticate")
    return reverse("mfa_reauthenticate_webauthn")


class PortalAdminSite(admin.AdminSite):
    site_header = _("Network portal administration")
    site_title = _("Network portal")
    index_title = _("County staff")

    def has_permission(self, request):
        if not (super().has_permission(request) and session_passed_second_factor(request)):
            return False
        # Asked twice for every admin page (admin_view, then each_context): one query.
        if not hasattr(request, "staff_has_authenticator"):
            request.staff_has_authenticator = has_authenticator(request.user)
        return request.staff_has_authenticator

    def login(self, request, extra_context=None):
        """Send each visitor the admin turned away to the step they are missing, and on to
        `?next=` (an admin page unless it is a safe URL of this site). Nobody signs in here."""
        next_url = self.safe_next_url(request)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("account_login"))
        if not (user.is_active and user.is_staff):
            # Not the site's login again: allauth sends a signed-in user straight back here.
            raise PermissionDenied
        if not has_authenticator(user):
            messages.warning(
                request,
                gettext(
                    "The administration needs two-factor authentication. "
                    "Set up an authenticator app to continue."
                ),
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not session_passed_second_factor(request):
            url = second_factor_url(user)
            if url == reverse("mfa_reauthenticate"):
                message = gettext(
                    "Enter a code from your authenticator app to open the administration."
                )
            else:
                message = gettext("Use your security key to open the administration.")
            messages.info(request, message)
            return redirect_to_login(next_url, url)
        return HttpResponseRedirect(next_url)

    def logout(self, request, extra_context=None):
        # allauth's logout, as from the site's header: the session ends the same way.
        return LogoutView.as_view()(request)

    def safe_next_url(self, request) -> str:
        next_url = request.GET.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return next_url
        return reverse("admin:index", current_app=self.name)
