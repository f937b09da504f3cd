"""Seed the EU programmes a municipality meets (2021-2027) and give county staff the
permissions for project ideas."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PROGRAMMES = [
    ("Erasmus+", "Education, training, youth and sport.", "https://erasmus-plus.ec.europa.eu/"),
    (
        "Horizon Europe",
        "Research and innovation.",
        "https://research-and-innovation.ec.europa.eu/funding/funding-opportunities/"
        "funding-programmes-and-open-calls/horizon-europe_en",
    ),
    ("Interreg North Sea", "Cooperation around the North Sea.", "https://www.interregnorthsea.eu/"),
    ("Interreg Europe", "Regional policy learning across Europe.", "https://www.interregeurope.eu/"),
    (
        "Interreg Baltic Sea",
        "Cooperation in the Baltic Sea region.",
        "https://interreg-baltic.eu/",
    ),
    ("Creative Europe", "Culture and the audiovisual sector.", "https://culture.ec.europa.eu/"),
    (
        "CERV",
        "Citizens, equality, rights and values (successor of Europe for Citizens).",
        "https://commission.europa.eu/funding-tenders/find-funding/eu-funding-programmes/"
        "citizens-equality-rights-and-values-programme_en",
    ),
    ("LIFE", "Environment and climate action.", "https://cinea.ec.europa.eu/programmes/life_en"),
    (
        "ESF+/EaSI",
        "Employment and social innovation.",
        "https://ec.europa.eu/european-social-fund-plus/en",
    ),
    ("URBACT", "Sustainable urban development networks.", "https://urbact.eu/"),
    (
        "Digital Europe",
        "Digital capacity and the uptake of digital technologies.",
        "https://digital-strategy.ec.europa.eu/en/activities/digital-programme",
    ),
]

GROUP_NAME = "County staff"
MODELS = [
    "euprogramme",
    "projectidea",
    "ideasector",
    "europeanpartner",
    "stagechange",
    "interest",
    "presentation",
]


def seed(apps, schema_editor):
    EUProgramme = apps.get_model("projects", "EUProgramme")
    for name, description, url in PROGRAMMES:
        EUProgramme.objects.get_or_create(
            name=name, defaults={"description": description, "url": url}
        )
    app_config = apps.get_app_config("projects")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="projects", content_type__model__in=MODELS
        )
    )


def unseed(apps, schema_editor):
    apps.get_model("projects", "EUProgramme").objects.filter(
        name__in=[name for name, _d, _u in PROGRAMMES], ideas__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        ("members", "0002_county_staff_group"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
