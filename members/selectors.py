from .models import ContactPerson
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
