"""Token-authenticated, read-only API. Every object is found through get_experiment_for, like the pages."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from experiments.audit import log_access
from experiments.exports.files import EXPORT_NAMES, UnknownExport, export_file
from experiments.models import AccessLog, Experiment
from experiments.workspace.access import get_experiment_for
from experiments.workspace.monitoring import status_counts

from .serializers import ExperimentSerializer, StatusCountsSerializer


class ExperimentViewSet(viewsets.ReadOnlyModelViewSet):
    """The experiments you own or collaborate on."""

    serializer_class = ExperimentSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    queryset = Experiment.objects.none()  # for the schema; get_queryset is what counts

    def get_queryset(self):
        return Experiment.objects.for_researcher(self.request.user).select_related("owner")

    def get_object(self):
        experiment = get_experiment_for(self.request.user, self.kwargs["slug"])
        self.check_object_permissions(self.request, experiment)
        return experiment

    @extend_schema(responses=StatusCountsSerializer)
    @action(detail=True, methods=["get"])
    def status(self, request, slug=None, format=None):
        """Participants by status, trials, photos, the classification queue and raw headline numbers."""
        return Response(status_counts(self.get_object()))

    @extend_schema(
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(EXPORT_NAMES)),
            OpenApiParameter("model", str, description="Classifier name (default: the experiment's first)."),
            OpenApiParameter("external_ids", bool, description="participants.*: include panel ids."),
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path=r"exports/(?P<name>[a-z]+\.[a-z]+)", url_name="export")
    def export(self, request, slug=None, name=None, format=None):
        """A file export, streamed: the same bytes as the workspace download and `manage.py export`."""
        experiment = self.get_object()
        model = None
        if request.query_params.get("model"):
            model = experiment.frozen_models().filter(name=request.query_params["model"]).first()
            if model is None:
                raise Http404("No such model in this experiment.")
        try:
            export = export_file(experiment, name, model=model,
                                 external_ids=request.query_params.get("external_ids") in ("1", "true"))
        except UnknownExport:
            raise Http404("No such export.") from None
        log_access(request, AccessLog.Action.API, experiment=experiment, detail=name)
        return export.response()
