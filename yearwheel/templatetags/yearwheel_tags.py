from django import template

from yearwheel.geometry import shape_path

register = template.Library()

# The shapes of the legend and the table, in the swatches' viewBox (-12 -12 24 24).
SWATCH_SIZE = 8


@register.filter
def swatch_path(shape: str) -> str:
    return shape_path(shape, SWATCH_SIZE)
