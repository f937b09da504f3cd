from .models import ContactPerson, EmailDomain, Municipality
from .permissions import Viewer
from .services import contact_person_link_for_user


def contact_person_for_user(user) -> ContactPerson | None:
    """The signed-in user's contact person, linking it first if that has not happened yet
    (accounts made by staff, or sessions from before the link existed)."""
    if not user.is_authenticated:
        return None
    person = ContactPerson.objects.select_related("municipality").filter(user=user).first()
    if person is None:
        person = contact_person_link_for_user(user=user)
    return person


def viewer_for(request) -> Viewer:
    """The request's viewer (see members.permissions), linking the account to its contact
    person on first use; computed once per request."""
    viewer = getattr(request, "_portal_viewer", None)
    if viewer is None or viewer.user is not request.user:
        viewer = Viewer(user=request.user, person=contact_person_for_user(request.user))
        request._portal_viewer = viewer
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
