from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"
    verbose_name = _("Project ideas")

    def ready(self):
        from meetings import extensions
        from members.privacy import register

        from . import meeting_extensions
        from .privacy import ProjectsPersonalData

        register(ProjectsPersonalData())
        # What projects adds to the registration form, the registration and a meeting's page.
        if meeting_extensions.add_ideas_field not in extensions.registration_form_extensions:
            extensions.registration_form_extensions.append(meeting_extensions.add_ideas_field)
        extensions.registration_answered.connect(
            meeting_extensions.save_presentations, dispatch_uid="projects.save_presentations"
        )
        if meeting_extensions.MEETING_IDEAS not in extensions.meeting_page_sections:
            extensions.meeting_page_sections.append(meeting_extensions.MEETING_IDEAS)
