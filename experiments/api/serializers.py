from rest_framework import serializers

from experiments.models import Experiment


class ExperimentSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    models = serializers.SerializerMethodField()

    class Meta:
        model = Experiment
        fields = ["slug", "title", "kind", "status", "owner", "labels", "trial_plan", "opposite_map",
                  "photo_policy", "config_sha256", "launched_at", "closed_at", "models"]
        read_only_fields = fields

    def get_models(self, experiment) -> list[dict]:
        return [{"name": m.name, "version": m.version, "sha256": m.sha256} for m in experiment.frozen_models()]


class StatusCountsSerializer(serializers.Serializer):
    """Documents the shape of /status/ for the OpenAPI schema."""

    experiment = serializers.CharField()
    status = serializers.CharField()
    config_sha256 = serializers.CharField()
    generated_at = serializers.DateTimeField()
    participants = serializers.DictField(child=serializers.IntegerField())
    trials = serializers.DictField(child=serializers.IntegerField())
    photos = serializers.DictField(child=serializers.IntegerField())
    classifications = serializers.DictField(child=serializers.IntegerField())
    oldest_pending_seconds = serializers.FloatField(allow_null=True)
    completion_minutes = serializers.DictField()
    headline = serializers.DictField()
