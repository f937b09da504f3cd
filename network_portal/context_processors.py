from django.conf import settings


def organiser(request):
    """Who runs the network, for the footer: a setting, not a string in the templates."""
    return {"organiser_name": settings.ORGANISER_NAME}
