"""Creating and editing an experiment: JSON fields edited as plain text a researcher can type."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

import fer_conditions as conditions
from experiments.models import ClassifierModel, Experiment
from fer_inference import CANONICAL_LABELS

RESERVED_SLUGS = {"new"}  # workspace URLs that an experiment slug would shadow


class ExperimentForm(forms.ModelForm):
    labels_text = forms.CharField(
        label=_("Labels"), help_text=_("Expression categories, comma-separated, in display order."),
        initial=", ".join(conditions.DEFAULT_LABELS),
    )
    opposites_text = forms.CharField(
        label=_("Opposite map"), widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("One 'felt: opposite' per line, for every label."),
        initial="\n".join(f"{k}: {v}" for k, v in conditions.DEFAULT_OPPOSITES.items()),
    )
    collaborators = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    classifier_models = forms.ModelMultipleChoiceField(
        queryset=ClassifierModel.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Experiment
        fields = [
            "title", "slug", "kind", "consent_text", "consent_version", "debrief_text",
            "completion_code", "completion_url", "return_url", "photo_policy", "photo_retention_days",
            "show_feedback", "classifier_models", "collaborators", "source_experiments", "ratings_per_photo",
            "photos_per_rater", "attention_checks", "ask_felt_guess",
        ]
        widgets = {"consent_text": forms.Textarea(attrs={"rows": 6}), "debrief_text": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        for condition in conditions.CONDITIONS:
            self.fields[f"plan_{condition}"] = forms.IntegerField(
                label=_("%(condition)s trials") % {"condition": condition.capitalize()}, min_value=0, max_value=50,
                initial=self.instance.trial_plan.get(condition, 0) if self.instance.pk
                else conditions.DEFAULT_TRIAL_PLAN.get(condition, 0),
            )
        if owner is not None:
            self.fields["collaborators"].queryset = self.fields["collaborators"].queryset.exclude(pk=owner.pk)
        # A rating study may rate photos only from photo studies its researcher can see.
        sources = Experiment.objects.filter(kind=Experiment.Kind.PHOTO)
        self.fields["source_experiments"].queryset = (
            sources.for_researcher(owner) if owner is not None else sources.none()
        ).exclude(pk=self.instance.pk or None)
        self.fields["source_experiments"].required = False
        if self.instance.pk:
            self.fields["labels_text"].initial = ", ".join(self.instance.labels)
            opposites = self.instance.opposite_map.items()
            self.fields["opposites_text"].initial = "\n".join(f"{k}: {v}" for k, v in opposites)
        else:
            self.fields["classifier_models"].initial = ClassifierModel.objects.filter(is_default=True)

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("'%(slug)s' is reserved; choose another.") % {"slug": slug})
        return slug

    def clean_labels_text(self):
        labels = [label.strip().lower() for label in self.cleaned_data["labels_text"].split(",") if label.strip()]
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise forms.ValidationError(_("Give at least two different labels."))
        # Classifiers map their outputs onto the canonical categories; a label outside them could
        # never be predicted, and its valence would be unknown to the analysis.
        unknown = [label for label in labels if label not in CANONICAL_LABELS]
        if unknown:
            raise forms.ValidationError(
                _("Unknown label(s): %(unknown)s. Choose from: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(CANONICAL_LABELS)}
            )
        return labels

    def clean(self):
        data = super().clean()
        labels = data.get("labels_text")
        plan = {c: data.get(f"plan_{c}") or 0 for c in conditions.CONDITIONS}
        if not any(plan.values()):
            self.add_error(None, _("The trial plan has no trials."))
        data["trial_plan"] = {c: n for c, n in plan.items() if n}
        opposites = {}
        for number, line in enumerate(data.get("opposites_text", "").splitlines(), 1):
            if not line.strip():
                continue
            felt, sep, opposite = line.partition(":")
            if not sep:
                self.add_error("opposites_text", _("Line %(n)d is not 'felt: opposite'.") % {"n": number})
                continue
            opposites[felt.strip().lower()] = opposite.strip().lower()
        if labels:
            unknown = sorted((set(opposites) | set(opposites.values())) - set(labels))
            missing = sorted(set(labels) - set(opposites))
            if unknown:
                self.add_error("opposites_text", _("Not in the labels: %(u)s") % {"u": ", ".join(unknown)})
            if missing and plan["opposite"]:
                self.add_error("opposites_text", _("No opposite for: %(m)s") % {"m": ", ".join(missing)})
        data["opposite_map"] = opposites
        if data.get("photo_policy") == Experiment.PhotoPolicy.KEEP_DAYS and not data.get("photo_retention_days"):
            self.add_error("photo_retention_days", _("Say how many days photos are kept."))
        return data

    def save(self, commit=True):
        experiment = super().save(commit=False)
        experiment.labels = self.cleaned_data["labels_text"]
        experiment.trial_plan = self.cleaned_data["trial_plan"]
        experiment.opposite_map = self.cleaned_data["opposite_map"]
        if self.owner is not None and not experiment.pk:
            experiment.owner = self.owner
        if commit:
            experiment.save()
            self.save_m2m()
        return experiment
