"""The study's data: experiments, participants and their trials, photos, models and what they said.

Rules that must hold for every row live in Meta constraints, so the database enforces them.
"""

import hashlib
import json
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

import fer_conditions as conditions


def default_labels() -> list[str]:
    return list(conditions.DEFAULT_LABELS)


def default_opposites() -> dict[str, str]:
    return dict(conditions.DEFAULT_OPPOSITES)


def default_trial_plan() -> dict[str, int]:
    return dict(conditions.DEFAULT_TRIAL_PLAN)


def new_public_code() -> str:
    return secrets.token_urlsafe(18)  # 144 bits: unguessable, safe in a URL


def new_withdrawal_code() -> str:
    # Short enough to write down; no 0/O or 1/I to misread.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


class _PhotoStorage(LazyObject):
    """storages["photos"], looked up when first used (and again after tests swap STORAGES)."""

    def _setup(self):
        self._wrapped = storages["photos"]


private_photo_storage = _PhotoStorage()


def photo_storage():
    return private_photo_storage


def photo_upload_to(photo: "Photo", filename: str) -> str:
    # Random names: a file name must tell nothing about who is in it.
    return f"{secrets.token_hex(2)}/{secrets.token_hex(16)}.jpg"


class Role(models.TextChoices):
    """What a researcher may do with an experiment; each role includes the ones before it."""

    VIEWER = "viewer", _("Viewer: read, report and export")
    EDITOR = "editor", _("Editor: also edit and launch drafts")
    OWNER = "owner", _("Owner: also close, delete and share")


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


class ExperimentQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status=Experiment.Status.LIVE)

    def for_researcher(self, user, role: str = Role.VIEWER):
        """Experiments `user` holds at least `role` on (owners hold every role, superusers all experiments)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        if role == Role.OWNER:
            return self.filter(owner=user)
        roles = [r for r, rank in ROLE_RANK.items() if rank >= ROLE_RANK[role] and r != Role.OWNER]
        shared = Collaboration.objects.filter(user=user, role__in=roles).values("experiment_id")
        return self.filter(Q(owner=user) | Q(pk__in=shared))


class Experiment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo study")
        RATING = "rating", _("Rating study")

    class PhotoPolicy(models.TextChoices):
        KEEP = "keep", _("Keep until the experiment is deleted")
        DELETE_AFTER_CLASSIFICATION = "delete_after_classification", _("Delete once classified")
        KEEP_DAYS = "keep_days", _("Keep for a number of days")

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PHOTO)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_experiments")
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="shared_experiments", through="Collaboration"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    labels = models.JSONField(default=default_labels, help_text=_("Expression categories, in display order."))
    trial_plan = models.JSONField(default=default_trial_plan, help_text=_("Trials per condition."))
    opposite_map = models.JSONField(default=default_opposites)
    consent_text = models.TextField()
    consent_version = models.PositiveIntegerField(default=1)
    debrief_text = models.TextField(blank=True)
    completion_code = models.CharField(max_length=64, blank=True)
    completion_url = models.URLField(blank=True, help_text=_("Where to send participants when they finish."))
    return_url = models.URLField(blank=True, help_text=_("Where to send participants who decline."))
    photo_policy = models.CharField(max_length=32, choices=PhotoPolicy.choices, default=PhotoPolicy.KEEP)
    photo_retention_days = models.PositiveIntegerField(null=True, blank=True)
    show_feedback = models.BooleanField(default=False, help_text=_("Show participants the model's label."))
    classifier_models = models.ManyToManyField("ClassifierModel", blank=True, related_name="experiments")
    source_experiments = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="rating_experiments",
        help_text=_("For a rating study: the photo studies whose photos are rated."),
    )
    ratings_per_photo = models.PositiveSmallIntegerField(default=3)
    photos_per_rater = models.PositiveSmallIntegerField(
        default=20, help_text=_("For a rating study: how many photos each rater is given (fewer if not enough).")
    )
    attention_checks = models.PositiveSmallIntegerField(
        default=1, help_text=_("For a rating study: instruction items per rater that check attention.")
    )
    ask_felt_guess = models.BooleanField(default=True)
    # Counterbalancing: the next participant takes this slot; incremented atomically.
    next_slot = models.PositiveIntegerField(default=0, editable=False)
    config_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    frozen_config = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    launched_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ExperimentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(photo_policy="keep_days") | Q(photo_retention_days__gte=1),
                name="keep_days_needs_a_number_of_days",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("study_entry", args=[self.slug])

    def config(self) -> dict:
        """What launching would freeze now: everything that defines what participants see and how
        photos are scored and rated (FROZEN_FIELDS, the models' SHA-256s and the source studies' slugs)."""
        config = {name: getattr(self, name) for name in FROZEN_FIELDS}
        config["classifier_models"] = sorted(m.sha256 for m in self.classifier_models.all())
        config["source_experiments"] = sorted(self.source_experiments.values_list("slug", flat=True))
        return config

    def effective_config(self) -> dict:
        """THE accessor for "what is this study's value for X": the frozen configuration once launched
        (a key frozen before it existed reads its documented default, FROZEN_DEFAULTS), the live fields
        of a draft."""
        if self.frozen_config is None:
            return self.config()
        return {**FROZEN_DEFAULTS, **self.frozen_config}

    def frozen_models(self):
        """The classifier models in force (by the SHA-256s frozen at launch)."""
        shas = self.effective_config()["classifier_models"]
        return ClassifierModel.objects.filter(sha256__in=shas) if shas is not None else self.classifier_models.all()

    def frozen_sources(self):
        """The photo studies a rating study rates (by the slugs frozen at launch)."""
        slugs = self.effective_config()["source_experiments"]
        if slugs is None:  # frozen before sources were part of the configuration: the relation as it stands
            return self.source_experiments.all()
        return Experiment.objects.filter(slug__in=slugs)

    @staticmethod
    def hash_config(config: dict) -> str:
        canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @transaction.atomic
    def launch(self) -> None:
        """Freeze the configuration and stamp its SHA-256; a live experiment accepts participants.

        Call it through `experiments.workspace.services.launch_experiment`, which checks who may."""
        if self.status == self.Status.LIVE:
            return
        self.frozen_config = self.config()
        self.config_sha256 = self.hash_config(self.frozen_config)
        self.status = self.Status.LIVE
        self.launched_at = self.launched_at or timezone.now()
        self.closed_at = None
        self.save()

    def close(self) -> None:
        self.status = self.Status.CLOSED
        self.closed_at = timezone.now()
        self.save(update_fields=["status", "closed_at", "updated_at"])

    def take_slot(self) -> int:
        """The next counterbalancing slot; two simultaneous arrivals never get the same one."""
        with transaction.atomic():
            Experiment.objects.filter(pk=self.pk).update(next_slot=F("next_slot") + 1)
            return Experiment.objects.values_list("next_slot", flat=True).get(pk=self.pk) - 1


# The model fields launching freezes, as they are; config() adds the related models and source studies.
FROZEN_FIELDS = (
    "slug", "kind", "labels", "trial_plan", "opposite_map", "consent_version", "consent_text", "debrief_text",
    "photo_policy", "photo_retention_days", "show_feedback", "ratings_per_photo", "photos_per_rater",
    "attention_checks", "ask_felt_guess",
)
# What a study frozen before a key existed reads for it: the field's default; for the related objects
# None, which means "the relation as it stands" (read-only on a launched study).
FROZEN_DEFAULTS = {
    **{name: Experiment._meta.get_field(name).get_default() for name in FROZEN_FIELDS},
    "classifier_models": None,
    "source_experiments": None,
}
FROZEN_RELATIONS = ("classifier_models", "source_experiments")


class Collaboration(models.Model):
    """A researcher other than the owner on an experiment, with their role (never Role.OWNER)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="collaborations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collaborations")
    role = models.CharField(max_length=10, choices=[(Role.VIEWER, Role.VIEWER.label), (Role.EDITOR, Role.EDITOR.label)],
                            default=Role.EDITOR)

    class Meta:
        ordering = ["experiment", "user"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "user"], name="one_role_per_researcher_and_experiment"),
        ]

    def __str__(self):
        return f"{self.user} {self.role} on {self.experiment.slug}"


class Participant(models.Model):
    class Status(models.TextChoices):
        STARTED = "started", _("Started")
        CONSENTED = "consented", _("Consented")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined consent")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        SCREENED_OUT = "screened_out", _("Screened out")

    class Source(models.TextChoices):
        DIRECT = "direct", _("Direct link")
        PROLIFIC = "prolific", "Prolific"
        SONA = "sona", "SONA"
        MTURK = "mturk", "MTurk"
        GENERIC = "generic", _("Other panel")

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="participants")
    public_code = models.CharField(max_length=32, unique=True, default=new_public_code, editable=False)
    withdrawal_code = models.CharField(max_length=16, unique=True, default=new_withdrawal_code, editable=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DIRECT)
    external_id = models.CharField(max_length=128, blank=True)
    # A panel id arriving from a browser that does not hold its participant starts a new participant
    # (a panel id identifies, it never authenticates); the id is kept here, not in the unique field.
    repeated_external_id = models.CharField(
        max_length=128, blank=True,
        help_text=_("The panel id this participant arrived with, which had already started this study elsewhere."),
    )
    external_study_id = models.CharField(max_length=128, blank=True)
    external_session_id = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STARTED)
    consent_version = models.PositiveIntegerField(null=True, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    photos_for_research = models.BooleanField(default=False)
    photos_for_rating = models.BooleanField(default=False)
    photos_for_publication = models.BooleanField(default=False)
    slot = models.PositiveIntegerField(null=True, blank=True)
    order_seed = models.BigIntegerField(null=True, blank=True)
    condition_order = models.JSONField(default=list, blank=True)
    # The server-held pointer: the step this participant must be on.
    step = models.CharField(max_length=32, default="consent")
    trial_pointer = models.PositiveSmallIntegerField(default=0)
    step_times = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["experiment", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "external_id"],
                condition=~Q(external_id=""),
                name="one_participant_per_external_id",
            ),
            models.UniqueConstraint(
                fields=["experiment", "slot"], condition=Q(slot__isnull=False), name="one_participant_per_slot"
            ),
        ]
        indexes = [models.Index(fields=["experiment", "status"])]

    def __str__(self):
        return f"{self.experiment.slug}/{self.public_code[:8]}"


class Trial(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="trials")
    index = models.PositiveSmallIntegerField()
    condition = models.CharField(max_length=10, choices=[(c, c) for c in conditions.CONDITIONS])
    assigned_expression = models.CharField(max_length=32, blank=True)
    target = models.CharField(max_length=32, blank=True, help_text=_("Expression asked for ('' on natural)."))
    felt = models.CharField(max_length=32, blank=True, help_text=_("'' means none of the labels."))
    intensity = models.PositiveSmallIntegerField(null=True, blank=True)
    valence = models.PositiveSmallIntegerField(null=True, blank=True)
    arousal = models.PositiveSmallIntegerField(null=True, blank=True)
    pose_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    client_timings = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    felt_reported_at = models.DateTimeField(null=True, blank=True)
    photo_submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["participant", "index"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "index"], name="one_trial_per_index"),
            models.CheckConstraint(condition=Q(intensity__isnull=True) | Q(intensity__range=(1, 7)),
                                   name="intensity_1_to_7"),
            models.CheckConstraint(condition=Q(valence__isnull=True) | Q(valence__range=(1, 9)),
                                   name="valence_1_to_9"),
            models.CheckConstraint(condition=Q(arousal__isnull=True) | Q(arousal__range=(1, 9)),
                                   name="arousal_1_to_9"),
            models.CheckConstraint(condition=Q(pose_rating__isnull=True) | Q(pose_rating__range=(1, 7)),
                                   name="pose_rating_1_to_7"),
        ]

    def __str__(self):
        return f"{self.participant} #{self.index} {self.condition}"


class PhotoQuerySet(models.QuerySet):
    def present(self):
        return self.filter(deleted_at__isnull=True)

    def for_researcher(self, user):
        experiments = Experiment.objects.for_researcher(user)
        return self.filter(trial__participant__experiment__in=experiments).select_related(
            "trial__participant__experiment"
        )


def commit_durably() -> None:
    """Inside atomic(): this transaction's commit waits for the disk even on a connection that commits
    asynchronously (Celery workers, experiments/tasks.py)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = on")


class Photo(models.Model):
    class Source(models.TextChoices):
        WEBCAM = "webcam", _("Webcam snapshot")
        UPLOAD = "upload", _("Uploaded file")

    trial = models.OneToOneField(Trial, on_delete=models.CASCADE, related_name="photo")
    file = models.FileField(storage=photo_storage, upload_to=photo_upload_to, max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEBCAM)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"photo of {self.trial}"

    def delete_file(self) -> None:
        """Remove the image from storage and keep the row as a record that it existed. The face mesh
        goes with it (biometric, and enough to redraw the face's geometry); the movement measures stay."""
        with transaction.atomic():
            commit_durably()
            if self.file:
                self.file.delete(save=False)
            self.deleted_at = timezone.now()
            self.save(update_fields=["file", "deleted_at"])
            self.classifications.filter(landmarks__isnull=False).update(landmarks=None)


class ClassifierModel(models.Model):
    name = models.SlugField(max_length=80, unique=True)
    version = models.CharField(max_length=40, blank=True)
    onnx_path = models.CharField(max_length=500, help_text=_("Path of the .onnx file, absolute or in the package."))
    sha256 = models.CharField(max_length=64, unique=True)
    card = models.JSONField(help_text=_("The model card: input, preprocessing, labels, licence."))
    is_default = models.BooleanField(default=False)
    behaviour = models.JSONField(default=dict, blank=True, editable=False,
                                 help_text=_("Its outputs on the bundled real faces when it was registered."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_model"),
        ]

    def __str__(self):
        return f"{self.name} {self.version}".strip()

    def clean(self):
        """The admin's registration check: the same as register_model's (card, file, behaviour)."""
        from .classifiers import check_model_files  # classifiers imports this module

        try:
            self.behaviour = check_model_files(onnx_path=self.onnx_path, card=self.card, sha256=self.sha256)
        except (OSError, ValueError) as error:  # CardError and BehaviourError are ValueErrors
            raise ValidationError(str(error)) from error


class Classification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        NO_FACE = "no_face", _("No face found")
        INVALID_IMAGE = "invalid_image", _("Invalid image")
        FAILED = "failed", _("Failed")

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="classifications")
    model = models.ForeignKey(ClassifierModel, on_delete=models.PROTECT, related_name="classifications")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    probabilities = models.JSONField(default=dict, blank=True)
    top_label = models.CharField(max_length=32, blank=True)
    face_box = models.JSONField(null=True, blank=True, help_text=_("[x0, y0, x1, y1] in upright pixels."))
    face_score = models.FloatField(null=True, blank=True)
    n_faces = models.PositiveSmallIntegerField(null=True, blank=True)
    faces = models.JSONField(default=list, blank=True)
    detector = models.CharField(max_length=64, blank=True, help_text=_("The detector model that found the face."))
    label_stability = models.FloatField(
        null=True, blank=True, help_text=_("Fraction of perturbed crops (margins, shifts, mirror) with its top label.")
    )
    probability_spread = models.FloatField(
        null=True, blank=True, help_text=_("Largest change of one label's probability across those crops.")
    )
    crop_labels = models.JSONField(default=dict, blank=True, help_text=_("Top label of each crop."))
    landmarks = models.JSONField(
        null=True, blank=True, help_text=_("468-point face mesh, packed (fer_inference.landmarks.unpack_landmarks).")
    )
    movements = models.JSONField(default=dict, blank=True, help_text=_("Movement measures (fer_inference.movements)."))
    timings_ms = models.JSONField(default=dict, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["photo", "model"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "model"], name="one_classification_per_photo_and_model"),
        ]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self):
        return f"{self.model} on {self.photo_id}: {self.status}"


class Rating(models.Model):
    rater = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="ratings")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="ratings")
    label = models.CharField(max_length=32)
    felt_guess = models.CharField(max_length=32, blank=True)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rater", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["rater", "photo"], name="one_rating_per_rater_and_photo"),
            models.CheckConstraint(condition=Q(confidence__isnull=True) | Q(confidence__range=(1, 7)),
                                   name="confidence_1_to_7"),
        ]

    def __str__(self):
        return f"{self.rater} rated {self.photo_id}: {self.label}"


class RatingItem(models.Model):
    """One item of a rater's sequence: a photo to rate, or an attention check; the rater's trial.

    The list is made at consent (`experiments.ratings.assignment`), in a seeded random order stored as
    `index`; the step pointer walks it like a photo participant's trials.
    """

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo to rate")
        INSTRUCTION_CHECK = "instruction_check", _("Attention check (instructed answer)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ANSWERED = "answered", _("Answered")
        SKIPPED = "skipped", _("Skipped: the photo was withdrawn or deleted")

    rater = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="rating_items")
    index = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PHOTO)
    # SET_NULL: a photo withdrawn after assignment leaves the item in place, skipped when reached.
    photo = models.ForeignKey(Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="rating_items")
    expected_label = models.CharField(max_length=32, blank=True, help_text=_("The answer a check asks for."))
    answer_label = models.CharField(max_length=32, blank=True)
    passed = models.BooleanField(null=True, blank=True, help_text=_("Attention checks only."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    client_timings = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text=_("First shown (server time)."))
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rater", "index"]
        constraints = [
            models.UniqueConstraint(fields=["rater", "index"], name="one_rating_item_per_index"),
            models.UniqueConstraint(
                fields=["rater", "photo"], condition=Q(photo__isnull=False), name="rater_sees_a_photo_once"
            ),
            models.CheckConstraint(
                condition=Q(kind="photo") | (Q(photo__isnull=True) & ~Q(expected_label="")),
                name="a_check_has_an_answer_and_no_photo",
            ),
        ]

    def __str__(self):
        return f"{self.rater} item #{self.index} {self.kind}"


class RatingQuota(models.Model):
    """How many raters of a rating study hold a photo; taken with a conditional UPDATE, never beyond k."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="rating_quotas")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="rating_quotas")
    assigned = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["experiment", "assigned"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "photo"], name="one_quota_per_rating_study_and_photo"),
        ]

    def __str__(self):
        return f"{self.experiment.slug}: photo {self.photo_id} x{self.assigned}"


class AccessLog(models.Model):
    """Who looked at which photo or took which export, and when: admins read it in Django admin."""

    class Action(models.TextChoices):
        PHOTO_VIEW = "photo_view", _("Viewed a photo")
        EXPORT = "export", _("Downloaded an export")
        API = "api", _("Used the API")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    experiment = models.ForeignKey(Experiment, null=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.CharField(max_length=200, blank=True, help_text=_("e.g. the photo id or the export format"))
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.user} {self.action} {self.detail} at {self.at:%Y-%m-%d %H:%M}"


class HeartbeatQuerySet(models.QuerySet):
    def recent(self, *, within_seconds: int = 3600):
        return self.filter(seen_at__gte=timezone.now() - timezone.timedelta(seconds=within_seconds))


class Heartbeat(models.Model):
    """The last sign of life of a Celery worker (written while it consumes from the broker) or of beat's
    sweeper (written when the sweep ran): the live page shows each with its age (experiments/heartbeats.py)."""

    class Kind(models.TextChoices):
        WORKER = "worker", _("Worker")
        SWEEPER = "sweeper", _("Scheduled sweeper")

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    objects = HeartbeatQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self):
        return f"{self.name} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
