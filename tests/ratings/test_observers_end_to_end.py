"""A simulated run: a photo study, a rating study of its photos, and humans beside the model on the same faces."""

import random

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from experiments.exports.tidy import rating_frame
from experiments.models import Classification, Participant, Photo, Trial
from experiments.participation import steps
from experiments.ratings.analysis import observer_analysis
from fer_stats import simulate_study
from tests.ratings.conftest import small_jpeg

pytestmark = pytest.mark.django_db

PLAN = {"natural": 1, "express": 1, "opposite": 1, "assigned": 1}


def simulated_photo_study(experiment, model, *, n_participants: int, seed: int) -> None:
    """Participants, trials, photos and the model's readings, drawn by fer_stats.simulate_study."""
    study = simulate_study(n_participants=n_participants, trials_per_condition=PLAN, seed=seed)
    jpeg, now = small_jpeg(), timezone.now()
    for _, rows in study.trials.groupby("participant_id", sort=False):
        person = Participant.objects.create(
            experiment=experiment, status=Participant.Status.COMPLETED, step=steps.DONE,
            photos_for_research=True, photos_for_rating=True, consented_at=now,
            condition_order=rows["condition"].tolist(),
        )
        for row in rows.itertuples():
            trial = Trial.objects.create(
                participant=person, index=row.trial_index, condition=row.condition, felt=row.felt,
                target=row.target if isinstance(row.target, str) else "", intensity=int(row.intensity),
                valence=int(row.valence), arousal=int(row.arousal), felt_reported_at=now, completed_at=now,
            )
            photo = Photo(trial=trial, sha256="0" * 64, size_bytes=len(jpeg), width=32, height=32)
            photo.file.save("photo.jpg", ContentFile(jpeg), save=False)
            photo.save()
            found = isinstance(row.predicted, str) and row.predicted
            Classification.objects.create(
                photo=photo, model=model, status="done" if found else "no_face",
                top_label=row.predicted if found else "",
                probabilities={label: getattr(row, f"prob_{label}") for label in experiment.labels} if found else {},
            )


def test_humans_and_the_model_side_by_side_on_the_same_photos(
    experiment, default_model, make_rating_study, rater_of
):
    simulated_photo_study(experiment, default_model, n_participants=8, seed=3)
    study = make_rating_study(slug="observers", ratings_per_photo=3, photos_per_rater=12, attention_checks=1)
    rng = random.Random(7)
    labels = experiment.labels

    def observer(item):
        """Sees the posed face (target, or felt on natural trials) 80% of the time."""
        trial = item.photo.trial
        face = trial.target or trial.felt
        return face if rng.random() < 0.8 else rng.choice([label for label in labels if label != face])

    eligible = Photo.objects.filter(classifications__status="done").count()
    raters = []
    while True:
        rater = rater_of(study)
        rater.enters()
        if rater.code is None:  # every photo has its k raters
            break
        rater.consents()
        while rater.row.step == steps.RATE:
            item = rater.item
            if item.photo is None:  # an attention check: the rater driver gives the asked-for answer
                rater.rates()
                continue
            guess = item.photo.trial.felt if rng.random() < 0.3 else "none"
            rater.rates(label=observer(item), felt_guess=guess)
        rater.finishes()
        raters.append(rater)
    assert all(r.row.status == Participant.Status.COMPLETED for r in raters)

    ratings = rating_frame(experiment)
    assert len(ratings) == 3 * eligible
    assert ratings.groupby(["participant_id", "trial_index"]).size().eq(3).all()
    assert ratings["rater_attention_passed"].eq(1.0).all()

    results = observer_analysis(experiment, n_boot=200, seed=0)
    observers = results["observers"]
    assert observers["n_ratings_without_trial"] == 0  # ratings join the trial table on the same photos
    reliability = observers["reliability"]
    assert reliability["n_ratings"] == len(ratings) and reliability["n_raters"] == len(raters)
    kappa = reliability["fleiss_kappa"]["estimate"]
    alpha = reliability["krippendorff_alpha_nominal"]["estimate"]
    assert 0.3 < kappa < 1 and 0.3 < alpha < 1

    # Krippendorff's alpha from the reference library on the very same ratings.
    import krippendorff

    table = ratings.assign(item=ratings["participant_id"] + ":" + ratings["trial_index"].astype(str))
    table = table.pivot(index="rater_id", columns="item", values="label")
    codes = table.apply(lambda column: column.map({label: i for i, label in enumerate(labels)}))
    reference = krippendorff.alpha(reliability_data=codes.to_numpy(dtype=float), level_of_measurement="nominal")
    assert alpha == pytest.approx(reference, abs=1e-9)

    # Humans against the model on the same photos, for what was posed and what was felt.
    for reference_name in ("target", "felt"):
        paired = observers["observers_vs_model"][reference_name]
        assert paired["n"] > 0
        for name in ("observers_accuracy", "model_accuracy", "model_minus_observers"):
            assert np.isfinite(paired[name]["estimate"]), (reference_name, name)
        assert "mcnemar_exact" in paired
    on_target = observers["observers_vs_model"]["target"]["observers_accuracy"]["estimate"]
    on_felt = observers["observers_vs_model"]["felt"]["observers_accuracy"]["estimate"]
    assert on_target > on_felt  # the simulated observers read the face that was made
