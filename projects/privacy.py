"""Projects' part of people's data (see members.privacy): the project ideas a person is the
contact for, and the interest they marked in others' ideas. Registered in
ProjectsConfig.ready()."""

from django.db.models import Q

from members.privacy import PersonalDataProvider, iso, redact

from .models import Interest, ProgrammeFollow, ProjectIdea


class ProjectsPersonalData(PersonalDataProvider):
    def export(self, subject):
        person = subject.person
        if person is None:
            return {"project_ideas": [], "interests": [], "followed_programmes": []}
        ideas = (
            ProjectIdea.objects.filter(contact_person=person)
            .select_related("lead_municipality")
            .order_by("created_at", "pk")
        )
        interests = (
            Interest.objects.filter(contact_person=person)
            .select_related("idea", "municipality")
            .order_by("created_at", "pk")
        )
        return {
            "project_ideas": [
                {
                    "title": idea.title,
                    "lead_municipality": idea.lead_municipality.name,
                    "stage": idea.stage,
                    "created_at": iso(idea.created_at),
                    "updated_at": iso(idea.updated_at),
                }
                for idea in ideas
            ],
            "interests": [
                {
                    "idea": interest.idea.title,
                    "municipality": interest.municipality.name,
                    "message": interest.message,
                    "marked_at": iso(interest.created_at),
                    "withdrawn_at": iso(interest.withdrawn_at),
                }
                for interest in interests
            ],
            "followed_programmes": [
                {"programme": follow.programme.name, "since": iso(follow.created_at)}
                for follow in ProgrammeFollow.objects.filter(contact_person=person)
                .select_related("programme")
                .order_by("programme__name", "pk")
            ],
        }

    def anonymise(self, subject, *, now):
        person = subject.person
        if person is None:
            return
        # What someone follows is their own choice, of no use to anyone else.
        ProgrammeFollow.objects.filter(contact_person=person).delete()
        # The municipality's interest stays (it is the municipality's), the person's words go.
        Interest.objects.filter(contact_person=person).exclude(message="").update(message="")
        # Ideas stay with their municipality; where their texts name the person, the name goes.
        redact(
            ProjectIdea.objects.filter(contact_person=person),
            fields=["title", "local_need", "description"],
            texts=subject.identifying_texts,
        )

    def active_contact_persons(self, since):
        return [
            Interest.objects.filter(
                Q(created_at__gte=since) | Q(withdrawn_at__gte=since)
            ).values_list("contact_person_id", flat=True),
            ProjectIdea.objects.filter(
                Q(created_at__gte=since) | Q(updated_at__gte=since)
            ).values_list("contact_person_id", flat=True),
        ]
