from django.utils.functional import SimpleLazyObject

from members.selectors import network_owner


def organiser(request):
    """Who runs the network, for the footer: data staff edit in the admin, read from the cache
    and only when a template shows it."""
    return {"network_owner": SimpleLazyObject(network_owner)}
