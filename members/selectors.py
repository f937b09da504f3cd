import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest

from .models import ContactPerson, EmailDomain, Municipality, NetworkOwner, User
from .permissions import Viewer
from .services import contact_person_link_for_user


def contact_person_for_user(user: User | AnonymousUser) -> ContactPerson | None:
    """The signed-in user's contact person, linking it first if that has not happened yet
    (accounts made by staff, or sessions from before the link existed)."""
    if not user.is_authenticated:
        return None
    person = ContactPerson.objects.select_related("municipality").filter(user=user).first()
    if person is None:
        person = contact_person_link_for_user(user=user)
    return person


logger = logging.getLogger(__name__)


def network_owner() -> NetworkOwner:
    """Who runs the network, for every page's footer: from the cache, which the owner's save
    refreshes (django-solo's key), else from the database; an empty owner when none is
    recorded. Unlike django-solo's get_solo it never writes, and a database that does not
    answer leaves the footer without the owner instead of failing the page: the statement
    pages and the error pages must show up even then."""
    cached: NetworkOwner | None = cache.get(NetworkOwner.get_cache_key())
    if cached is not None:
        return cached
    try:
        owner = NetworkOwner.objects.filter(pk=NetworkOwner.singleton_instance_id).first()
    except DatabaseError:
        logger.warning("The network owner could not be read for the footer", exc_info=True)
        return NetworkOwner()
    owner = owner or NetworkOwner()
    cache.set(NetworkOwner.get_cache_key(), owner, settings.SOLO_CACHE_TIMEOUT)
    return owner


def viewer_for(request: HttpRequest) -> Viewer:
    """The request's viewer (see members.permissions), linking the account to its contact
    person on first use; computed once per request."""
    viewer: Viewer | None = getattr(request, "_portal_viewer", None)
    if viewer is None or viewer.user is not request.user:
        viewer = Viewer(user=request.user, person=contact_person_for_user(request.user))
        request._portal_viewer = viewer  # type: ignore[attr-defined]  # a per-request memo
    return viewer


def municipality_has_history(municipality: Municipality) -> bool:
    """Whether anything records the municipality beyond its name and domains: membership,
    an ended validity, a merger, or any row anywhere that refers to it (people, registrations,
    mailings, project ideas, ...). Such a municipality is never deleted; its validity ends."""
    if (
        municipality.member_since is not None
        or municipality.valid_to is not None
        or municipality.successor_id is not None
    ):
        return True
    for relation in Municipality._meta.related_objects:
        model = relation.related_model
        # The domains go with it; the change history keeps its own copy.
        if model is EmailDomain or model.__name__.startswith("Historical"):
            continue
        if model._default_manager.filter(**{relation.field.name: municipality}).exists():
            return True
    return False
