from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from meetings.exports import DEFAULT_SEPARATOR, SEPARATORS
from members.mixins import DirectoryRequiredMixin
from members.models import Municipality

from . import exports, selectors, services
from .forms import (
    EuropeanPartnerFormSet,
    FollowProgrammesForm,
    IdeaFilterForm,
    InterestForm,
    ProjectIdeaForm,
)
from .models import Interest, ProjectIdea


class PersonMixin(DirectoryRequiredMixin):
    """Every page of this app shows ideas and people: linked members and county staff only
    (members.permissions)."""

    def get_person(self):
        return self.viewer.person


class IdeaListView(PersonMixin, ListView):
    """Every signed-in member reads all ideas; filters and search narrow them down."""

    template_name = "projects/projectidea_list.html"
    context_object_name = "ideas"
    paginate_by = 20

    def get_queryset(self):
        self.filter_form = IdeaFilterForm(self.request.GET or None)
        queryset = selectors.ideas_for_listing().visible_to(self.viewer)
        if self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
            queryset = selectors.filter_ideas(
                queryset,
                q=data["q"],
                sector=data["sector"],
                programme=data["programme"],
                stage=data["stage"],
                municipality=data["municipality"],
                seeking_partners=data["seeking_partners"],
            )
        return queryset.order_by("-updated_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter_form=self.filter_form, query=query.urlencode(), person=self.get_person()
        )
        return context


class IdeaDetailView(PersonMixin, DetailView):
    template_name = "projects/projectidea_detail.html"
    context_object_name = "idea"

    def get_queryset(self):
        return selectors.idea_for_detail_queryset().visible_to(self.viewer)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        idea = self.object
        person = self.get_person()
        own_interest = next(
            (i for i in idea.active_interests if person and i.contact_person_id == person.pk),
            None,
        )
        context.update(
            person=person,
            can_edit=services.can_edit(person, idea),
            own_interest=own_interest,
            can_mark_interest=bool(
                person
                and person.municipality_id
                and person.municipality_id != idea.lead_municipality_id
                and own_interest is None
            ),
            interest_form=InterestForm(),
            suggestions=selectors.cached_partner_suggestions(idea),
            next_deadline=selectors.next_deadline(idea.calls.all()),
        )
        return context


class IdeaFormMixin(PersonMixin):
    template_name = "projects/projectidea_form.html"

    def forms(self, instance=None):
        data = self.request.POST if self.request.method == "POST" else None
        form = ProjectIdeaForm(data, instance=instance)
        initial = [
            {"organisation": p.organisation, "country": p.country}
            for p in (instance.european_partners.all() if instance else [])
        ]
        partners = EuropeanPartnerFormSet(data, initial=initial, prefix="partners")
        return form, partners

    def render_forms(self, form, partners, **extra):
        context = {"form": form, "partners": partners, "person": self.get_person(), **extra}
        return render(self.request, self.template_name, context)

    @staticmethod
    def relations(form, partners):
        data = form.cleaned_data
        return {
            "fields": {
                name: data[name]
                for name in ("title", "local_need", "description", "stage", "call_deadline")
            },
            "sectors": data["sectors"],
            "programmes": data["programmes"],
            "calls": data["calls"],
            "partner_municipalities": data["partner_municipalities"],
            "european_partners": [
                (p["organisation"], p["country"])
                for p in partners.cleaned_data
                if p.get("organisation")
            ],
        }


class IdeaCreateView(IdeaFormMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.viewer.sees_directory:
            person = self.get_person()
            # County staff read ideas but present none: an idea belongs to a municipality.
            if person is None or person.municipality_id is None:
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form, partners = self.forms()
        return self.render_forms(form, partners, next=request.GET.get("next", ""))

    def post(self, request):
        form, partners = self.forms()
        if not (form.is_valid() and partners.is_valid()):
            return self.render_forms(form, partners, next=request.POST.get("next", ""))
        idea = services.idea_create(
            author=self.get_person(), user=request.user, **self.relations(form, partners)
        )
        messages.success(request, _("The idea has been saved."))
        next_url = request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return HttpResponseRedirect(next_url)
        return HttpResponseRedirect(idea.get_absolute_url())


class EditableIdeaMixin(PersonMixin):
    """Another municipality's idea by URL: 403, and nothing changes."""

    # View.setup sets it from the URL (the idea's pk).
    kwargs: dict[str, Any]

    def get_idea(self) -> ProjectIdea:
        idea = get_object_or_404(
            ProjectIdea.objects.prefetch_related("european_partners", "sectors"),
            pk=self.kwargs["pk"],
        )
        if not services.can_edit(self.get_person(), idea):
            raise PermissionDenied
        return idea


class IdeaUpdateView(EditableIdeaMixin, IdeaFormMixin, View):
    def get(self, request, pk):
        idea = self.get_idea()
        form, partners = self.forms(instance=idea)
        return self.render_forms(form, partners, idea=idea)

    def post(self, request, pk):
        idea = self.get_idea()
        form, partners = self.forms(instance=idea)
        if not (form.is_valid() and partners.is_valid()):
            return self.render_forms(form, partners, idea=idea)
        services.idea_update(
            idea=idea, actor=self.get_person(), user=request.user, **self.relations(form, partners)
        )
        messages.success(request, _("The idea has been saved."))
        return HttpResponseRedirect(idea.get_absolute_url())


class IdeaDeleteView(EditableIdeaMixin, TemplateView):
    template_name = "projects/projectidea_confirm_delete.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "idea": self.get_idea()}

    def post(self, request, pk):
        services.idea_delete(idea=self.get_idea(), actor=self.get_person())
        messages.success(request, _("The idea has been deleted."))
        return HttpResponseRedirect(reverse("projects:list"))


class InterestCreateView(PersonMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        idea = get_object_or_404(ProjectIdea, pk=pk)
        form = InterestForm(request.POST)
        person = self.get_person()
        if person is None:
            raise PermissionDenied
        if not form.is_valid():
            for error in form.errors.get("message", []):
                # An ErrorList hands out its messages as text, though its stubs also allow the
                # ValidationError it keeps; str() makes that plain and changes nothing.
                messages.error(request, str(error))
            return HttpResponseRedirect(idea.get_absolute_url())
        try:
            services.interest_mark(idea=idea, person=person, message=form.cleaned_data["message"])
        except services.InterestError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Your interest has been sent to the idea's contact person.")
            )
        return HttpResponseRedirect(idea.get_absolute_url())


class InterestWithdrawView(PersonMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        person = self.get_person()
        interest = get_object_or_404(
            Interest.objects.filter(withdrawn_at__isnull=True),
            pk=pk,
            contact_person=person,
        )
        services.interest_withdraw(interest=interest, person=person)
        messages.success(request, _("Your interest has been withdrawn."))
        return HttpResponseRedirect(interest.idea.get_absolute_url())


class MunicipalityDetailView(PersonMixin, DetailView):
    template_name = "projects/municipality_detail.html"
    context_object_name = "municipality"
    slug_field = "number"
    slug_url_kwarg = "number"
    queryset = Municipality.objects.select_related("successor")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Without ?page= the first page, as the selector's default (get_page(None) gives it too).
        page = selectors.municipality_page(
            self.object, viewer=self.viewer, people_page=self.request.GET.get("page", 1)
        )
        context.update(
            people=page.people,
            ideas=page.ideas,
            more_ideas=page.more_ideas,
            participation=page.participation,
            more_participation=page.more_participation,
            predecessors=self.object.predecessors.order_by("name", "number"),
        )
        return context


class IdeaExportView(LoginRequiredMixin, View):
    """All ideas as CSV, for county staff: whoever holds the permission to view ideas.
    Separated by semicolons, or commas with `?separator=comma`."""

    def get(self, request):
        if not request.user.has_perm("projects.view_projectidea"):
            raise PermissionDenied
        separator = request.GET.get("separator", DEFAULT_SEPARATOR)
        if separator not in SEPARATORS:
            raise BadRequest("Unknown separator.")
        response = HttpResponse(
            exports.ideas_csv(selectors.ideas_for_listing().order_by("pk"), separator=separator),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="project-ideas.csv"'
        return response


class FollowProgrammesView(PersonMixin, View):
    """The EU programmes a member follows: their calls' deadlines come into the member's
    calendar feed. County staff without a contact person read the programmes' calls."""

    template_name = "projects/follow_programmes.html"

    def render_page(self, form, status=200):
        person = self.get_person()
        context = {
            "person": person,
            "form": form,
            "rows": selectors.programmes_to_follow(person),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(FollowProgrammesForm())

    def post(self, request):
        person = self.get_person()
        if person is None:
            raise PermissionDenied
        form = FollowProgrammesForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        services.follows_set(person=person, programmes=form.cleaned_data["programmes"])
        messages.success(request, _("The programmes you follow have been saved."))
        return HttpResponseRedirect(reverse("projects:follow_programmes"))
