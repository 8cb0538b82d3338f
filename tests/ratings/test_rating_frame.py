"""The ratings table of the statistics engine is the rating export's rows, with each rater's attention record."""

import math

import pytest

from experiments.exports.columns import RATING_COLUMNS
from experiments.exports.tidy import rating_frame, rating_table
from experiments.models import RatingItem
from experiments.participation import steps

pytestmark = pytest.mark.django_db


def takes_it_carelessly(rater):
    """Answers every photo, and every attention check with a label other than the one asked for."""
    rater.enters()
    rater.consents()
    while rater.row.step == steps.RATE:
        item = rater.item
        wrong = "angry" if item.expected_label != "angry" else "happy"
        label = wrong if item.kind == RatingItem.Kind.INSTRUCTION_CHECK else "sad"
        rater.client.post(rater.here, {"label": label, "felt_guess": "happy", "confidence": 4})


@pytest.fixture
def three_raters(photo_participant, make_rating_study, rater_of):
    """Careful and careless raters of a study with checks, and one rater of a study without."""
    for _ in range(3):
        photo_participant()
    checked = make_rating_study(slug="checked", ratings_per_photo=3, photos_per_rater=2, attention_checks=2)
    unchecked = make_rating_study(slug="unchecked", ratings_per_photo=3, photos_per_rater=2, attention_checks=0)
    careful, careless, plain = rater_of(checked), rater_of(checked), rater_of(unchecked)
    careful.takes_rating_study()
    takes_it_carelessly(careless)
    plain.takes_rating_study()
    return checked, unchecked, {name: f"p{r.row.pk}" for name, r in
                                (("careful", careful), ("careless", careless), ("plain", plain))}


def test_the_frame_is_the_export_with_the_attention_record(experiment, three_raters):
    _, _, code = three_raters
    ratings = rating_frame(experiment)
    export = [c.name for c in RATING_COLUMNS]
    assert list(ratings.columns) == export + ["rater_attention_checks", "rater_attention_passed"]
    assert list(ratings[export].itertuples(index=False, name=None)) == list(rating_table(experiment).rows())
    assert len(ratings) == 6 and ratings["trial_index"].dtype == "int64"
    by_rater = ratings.groupby("rater_id")[["rater_attention_checks", "rater_attention_passed"]].first()
    assert by_rater.loc[code["careful"]].tolist() == [2, 1.0]
    assert by_rater.loc[code["careless"]].tolist() == [2, 0.0]
    assert by_rater.loc[code["plain"], "rater_attention_checks"] == 0
    assert math.isnan(by_rater.loc[code["plain"], "rater_attention_passed"])


def test_raters_are_chosen_by_study_and_by_attention(experiment, three_raters):
    checked, unchecked, code = three_raters
    assert set(rating_frame(experiment, min_attention=0.5)["rater_id"]) == {code["careful"], code["plain"]}
    assert set(rating_frame(experiment, rating_experiment=checked)["rater_id"]) == {code["careful"], code["careless"]}
    assert set(rating_frame(experiment, rating_experiment=unchecked, min_attention=1)["rater_id"]) == {code["plain"]}
    # The rating study's own export: the ratings its raters gave.
    assert set(rating_frame(unchecked)["rater_id"]) == {code["plain"]}


def test_no_ratings_is_an_empty_frame_with_every_column(experiment):
    ratings = rating_frame(experiment, min_attention=0.5)
    assert ratings.empty and "rater_attention_passed" in ratings and ratings["trial_index"].dtype == "int64"
