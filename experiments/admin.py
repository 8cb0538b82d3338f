"""Django admin for every model. Participant data is read-only here: it is evidence, not a draft."""

from django.contrib import admin, messages
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .deletion import delete_with_files
from .models import (
    FROZEN_FIELDS,
    FROZEN_RELATIONS,
    AccessLog,
    Classification,
    ClassifierModel,
    Collaboration,
    Experiment,
    Participant,
    Photo,
    Rating,
    RatingItem,
    RatingQuota,
    Trial,
)
from .rescoring import rescore
from .workspace.services import ActionRefused, close_experiment, launch_experiment


class DeletesFiles:
    """Admin deletes go through `delete_with_files`: photo files and export copies go with the rows."""

    def delete_model(self, request, obj):
        delete_with_files(type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        delete_with_files(queryset)


class ReadOnlyAdmin(DeletesFiles, admin.ModelAdmin):
    """What participants gave can be looked at and deleted (withdrawal), never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CollaborationInline(admin.TabularInline):
    model = Collaboration
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Experiment)
class ExperimentAdmin(DeletesFiles, admin.ModelAdmin):
    list_display = ["title", "slug", "kind", "status", "owner", "participant_count", "launched_at", "short_hash"]
    list_filter = ["status", "kind", "photo_policy"]
    search_fields = ["title", "slug", "owner__username"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["classifier_models", "source_experiments"]
    inlines = [CollaborationInline]
    # The status changes only through the workspace's services (the actions below): launching freezes.
    readonly_fields = ["status", "config_sha256", "frozen_config", "launched_at", "closed_at", "next_slot"]
    actions = ["launch", "close", "rescore_missing"]

    @admin.display(description=_("participants"))
    def participant_count(self, obj):
        return obj.participants.count()

    @admin.display(description=_("config SHA-256"))
    def short_hash(self, obj):
        return obj.config_sha256[:12]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if obj is None or obj.status == Experiment.Status.DRAFT else {}

    def get_readonly_fields(self, request, obj=None):
        # Launching froze the configuration: a live or closed study is changed by a new version.
        if obj and obj.status != Experiment.Status.DRAFT:
            return [*self.readonly_fields, *FROZEN_FIELDS, *FROZEN_RELATIONS]  # what launching froze
        return self.readonly_fields

    def _apply(self, request, queryset, service, done: str) -> None:
        count = 0
        for experiment in queryset:
            try:
                service(user=request.user, experiment=experiment)
                count += 1
            except ActionRefused as refused:
                self.message_user(request, f"{experiment.slug}: {refused.message}", messages.ERROR)
        self.message_user(request, ngettext("%d experiment %s.", "%d experiments %s.", count) % (count, done),
                          messages.SUCCESS)

    @admin.action(description=_("Launch: freeze the configuration and accept participants"))
    def launch(self, request, queryset):
        self._apply(request, queryset, launch_experiment, _("launched"))

    @admin.action(description=_("Re-score: classify photos that an attached model has not classified yet"))
    def rescore_missing(self, request, queryset):
        queued = sum(rescore(experiment, model) for experiment in queryset for model in experiment.frozen_models())
        self.message_user(request, ngettext("%d classification queued.", "%d classifications queued.", queued)
                          % queued, messages.SUCCESS)

    @admin.action(description=_("Close: stop accepting participants"))
    def close(self, request, queryset):
        self._apply(request, queryset, close_experiment, _("closed"))


class TrialInline(admin.TabularInline):
    model = Trial
    extra = 0
    can_delete = False
    fields = ["index", "condition", "target", "felt", "intensity", "valence", "arousal", "pose_rating"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ["public_code", "experiment", "status", "source", "step", "started_at", "completed_at"]
    list_filter = ["status", "source", "experiment", "photos_for_rating"]
    search_fields = ["public_code", "external_id", "withdrawal_code"]
    list_select_related = ["experiment"]
    inlines = [TrialInline]


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdmin):
    list_display = ["participant", "index", "condition", "target", "felt", "intensity", "completed_at"]
    list_filter = ["condition", "participant__experiment"]
    search_fields = ["participant__public_code"]
    list_select_related = ["participant__experiment"]


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    list_display = ["id", "trial", "source", "width", "height", "size_bytes", "created_at", "deleted_at"]
    list_filter = ["source", "trial__participant__experiment"]
    search_fields = ["sha256", "trial__participant__public_code"]
    list_select_related = ["trial__participant__experiment"]
    exclude = ["file"]  # never render a link to the image file


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "sha256", "is_default", "created_at"]
    search_fields = ["name", "sha256"]
    list_filter = ["is_default"]


@admin.register(Classification)
class ClassificationAdmin(ReadOnlyAdmin):
    list_display = ["photo", "model", "status", "top_label", "face_score", "n_faces", "attempts", "finished_at"]
    list_filter = ["status", "model", "top_label", "photo__trial__participant__experiment"]
    search_fields = ["photo__sha256", "error"]
    list_select_related = ["model", "photo__trial__participant"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["rater", "photo", "label", "felt_guess", "confidence", "response_ms", "created_at"]
    list_filter = ["label", "rater__experiment"]
    search_fields = ["rater__public_code"]
    list_select_related = ["rater__experiment"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "experiment", "detail", "ip_address"]
    list_filter = ["action", "experiment"]
    search_fields = ["user__username", "detail"]
    list_select_related = ["user", "experiment"]
    date_hierarchy = "at"

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RatingItem)
class RatingItemAdmin(ReadOnlyAdmin):
    list_display = ["rater", "index", "kind", "photo", "status", "expected_label", "answer_label", "passed"]
    list_filter = ["kind", "status", "passed", "rater__experiment"]
    search_fields = ["rater__public_code"]
    list_select_related = ["rater__experiment"]


@admin.register(RatingQuota)
class RatingQuotaAdmin(ReadOnlyAdmin):
    list_display = ["experiment", "photo", "assigned"]
    list_filter = ["experiment"]


def view_on_site(request, content_type_id: int, object_id: str):
    """Admin's "view on site" redirect, only for models the staff member may view in admin (404
    otherwise, so it cannot be walked to learn what exists)."""
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist:
        raise Http404 from None
    app, model = content_type.app_label, content_type.model
    if not (request.user.has_perm(f"{app}.view_{model}") or request.user.has_perm(f"{app}.change_{model}")):
        raise Http404
    return contenttype_views.shortcut(request, content_type_id, object_id)
