"""Creating and editing an experiment: JSON fields edited as plain text a researcher can type."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

import fer_conditions as conditions
from experiments.models import ClassifierModel, Collaboration, Experiment, Role
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
    # Typed, never listed: a researcher must not be shown every account on the site.
    collaborators_text = forms.CharField(
        label=_("Collaborators"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: a username or e-mail address of an existing account, then 'editor' (edit and "
                    "launch drafts; the default) or 'viewer' (read, report and export)."),
    )
    # Registered by admins after a behaviour check: the lab's shared models, open to every researcher.
    classifier_models = forms.ModelMultipleChoiceField(
        queryset=ClassifierModel.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Experiment
        fields = [
            "title", "slug", "kind", "consent_text", "consent_version", "debrief_text",
            "completion_code", "completion_url", "return_url", "photo_policy", "photo_retention_days",
            "show_feedback", "classifier_models", "source_experiments", "ratings_per_photo",
            "photos_per_rater", "attention_checks", "ask_felt_guess",
        ]
        widgets = {"consent_text": forms.Textarea(attrs={"rows": 6}), "debrief_text": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user=None, owner=None, can_share: bool = True, **kwargs):
        """`user` is the acting researcher: every related object offered and accepted is one they may
        see. `owner` owns the experiment saved (the acting user for a new one); only an owner shares."""
        super().__init__(*args, **kwargs)
        self.user, self.owner = user, owner or user
        # A saved experiment, or the unsaved copy that becomes a launched study's next version: its plan,
        # labels and opposites are the ones to start from, not the defaults.
        existing = bool(self.instance.pk or self.instance.slug)
        for condition in conditions.CONDITIONS:
            self.fields[f"plan_{condition}"] = forms.IntegerField(
                label=_("%(condition)s trials") % {"condition": condition.capitalize()}, min_value=0, max_value=50,
                initial=self.instance.trial_plan.get(condition, 0) if existing
                else conditions.DEFAULT_TRIAL_PLAN.get(condition, 0),
            )
        # A rating study rates photos only of launched photo studies the acting researcher can open.
        self.fields["source_experiments"].queryset = (
            Experiment.objects.for_researcher(user).filter(kind=Experiment.Kind.PHOTO)
            .exclude(status=Experiment.Status.DRAFT).exclude(pk=self.instance.pk or None).order_by("slug")
        )
        self.fields["source_experiments"].required = False
        if not can_share:
            del self.fields["collaborators_text"]
        elif self.instance.pk:
            self.fields["collaborators_text"].initial = "\n".join(
                f"{c.user.get_username()} {c.role}" for c in self.instance.collaborations.select_related("user"))
        if existing:
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

    def clean_collaborators_text(self) -> dict:
        """{user: role} from the typed lines; every name must be an existing, active account."""
        users = get_user_model().objects.filter(is_active=True)
        chosen, unknown = {}, []
        for line in self.cleaned_data["collaborators_text"].splitlines():
            name, _sep, role = line.strip().partition(" ")
            role = role.strip().lower() or Role.EDITOR
            if not name:
                continue
            if role not in (Role.EDITOR, Role.VIEWER):
                raise forms.ValidationError(_("'%(role)s' is not a role: use editor or viewer.") % {"role": role})
            match = users.filter(Q(username=name) | Q(email__iexact=name)).first() if "@" in name else \
                users.filter(username=name).first()
            if match is None:
                unknown.append(name)
            elif match != self.owner:
                chosen[match] = role
        if unknown:
            raise forms.ValidationError(_("No account called: %(names)s.") % {"names": ", ".join(unknown)})
        return chosen

    def clean_source_experiments(self):
        """The sources chosen, plus any already attached that the acting user cannot see (they can
        neither see nor remove those; launching re-checks them against whoever launches)."""
        chosen = set(self.cleaned_data["source_experiments"])
        if self.instance.pk:
            offered = self.fields["source_experiments"].queryset
            chosen |= set(self.instance.source_experiments.exclude(pk__in=offered.values("pk")))
        return sorted(chosen, key=lambda e: e.slug)

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
            self.save_collaborators(experiment)
        return experiment

    def save_collaborators(self, experiment: Experiment) -> None:
        if "collaborators_text" not in self.fields:
            return
        chosen = self.cleaned_data["collaborators_text"]
        experiment.collaborations.exclude(user__in=list(chosen)).delete()
        for user, role in chosen.items():
            Collaboration.objects.update_or_create(experiment=experiment, user=user, defaults={"role": role})
