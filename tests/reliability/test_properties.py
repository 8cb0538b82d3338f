"""Property-based tests: arbitrary input to the participant forms, the photo decoder and the stats
validation either comes out clean or is refused in the expected way, never with anything else."""

import io
import math
import string

import numpy as np
import pandas as pd
import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from experiments.participation.forms import (
    NONE_OF_THESE,
    CaptureForm,
    ConsentForm,
    FeltForm,
    PoseCheckForm,
    WithdrawForm,
)
from experiments.photos import PhotoRejected, reencode_jpeg
from fer_conditions import CONDITIONS, DEFAULT_LABELS
from fer_inference.decode import MESSAGES
from fer_stats import TRIAL_COLUMNS, TrialTableError, probability_columns, validate_trials
from tests.conftest import jpeg_bytes

FORM = settings(max_examples=150, deadline=None)
LABELS = list(DEFAULT_LABELS)

# What a browser, a bot or a fuzzer may put in a form field.
field_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "1", "7", "9", "10", "-1", "1.0", "1e3", "٣", "NaN", "None", "true", "on"]),
    st.integers(-10**20, 10**20).map(str),
)


def as_query(data: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


def in_range(text: str, low: int, high: int) -> bool:
    try:
        return low <= int(text.strip()) <= high
    except ValueError:
        return False


@FORM
@given(felt=st.one_of(st.sampled_from([*LABELS, NONE_OF_THESE]), field_text),
       intensity=field_text, valence=field_text, arousal=field_text)
def test_the_felt_form_accepts_exactly_the_offered_choices(felt, intensity, valence, arousal):
    form = FeltForm(as_query({"felt": felt, "intensity": intensity, "valence": valence, "arousal": arousal}),
                    labels=LABELS)

    valid = form.is_valid()

    # Django's choice fields compare the submitted string with str(choice) exactly.
    expected = (felt in [*LABELS, NONE_OF_THESE] and intensity in {str(v) for v in range(1, 8)}
                and valence in {str(v) for v in range(1, 10)} and arousal in {str(v) for v in range(1, 10)})
    assert valid == expected, form.errors
    if valid:
        data = form.cleaned_data
        assert data["felt"] in [*LABELS, ""]
        assert 1 <= data["intensity"] <= 7 and 1 <= data["valence"] <= 9 and 1 <= data["arousal"] <= 9
    else:
        assert all(isinstance(message, str) and message for messages in form.errors.values() for message in messages)


@FORM
@given(data=st.dictionaries(st.sampled_from(["felt", "intensity", "valence", "arousal", "junk", ""]),
                            st.one_of(field_text, st.lists(field_text, max_size=3)), max_size=6))
def test_the_felt_form_survives_missing_repeated_and_extra_fields(data):
    form = FeltForm(as_query(data), labels=LABELS)
    if form.is_valid():
        assert set(form.cleaned_data) == {"felt", "intensity", "valence", "arousal"}


@FORM
@given(rating=field_text)
def test_the_pose_check_is_empty_or_one_to_seven(rating):
    form = PoseCheckForm(as_query({"pose_rating": rating}))

    assert form.is_valid() == (rating in {"", *map(str, range(1, 8))})
    if form.is_valid():
        assert form.cleaned_data["pose_rating"] in {None, *range(1, 8)}


@FORM
@given(research=st.one_of(st.none(), field_text), rating=st.one_of(st.none(), field_text))
def test_consent_needs_the_research_box(research, rating):
    data = {k: v for k, v in {"photos_for_research": research, "photos_for_rating": rating}.items() if v is not None}
    form = ConsentForm(as_query(data))

    if form.is_valid():
        assert form.cleaned_data["photos_for_research"] is True
        assert isinstance(form.cleaned_data["photos_for_rating"], bool)
    else:
        assert "photos_for_research" in form.errors


@FORM
@given(code=st.text(max_size=40))
@example("abcd efgh-jklm")
@example("ß" * 20)
def test_a_withdrawal_code_is_normalised_once_and_for_all(code):
    form = WithdrawForm(as_query({"withdrawal_code": code}))
    if not form.is_valid():
        return
    cleaned = form.cleaned_data["withdrawal_code"]
    groups = cleaned.split("-") if cleaned else []
    assert all(1 <= len(group) <= 4 and group.isalnum() for group in groups)
    assert all(len(group) == 4 for group in groups[:-1])
    again = WithdrawForm(as_query({"withdrawal_code": cleaned}))
    if again.is_valid():  # a normalised code normalises to itself
        assert again.cleaned_data["withdrawal_code"] == cleaned


@FORM
@given(timings=st.dictionaries(st.sampled_from(CaptureForm.TIMING_FIELDS), field_text, max_size=5),
       source=field_text)
def test_capture_timings_are_whole_non_negative_numbers_or_refused(timings, source):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = CaptureForm(as_query({**timings, "source": source}),
                       {"photo": SimpleUploadedFile("s.jpg", b"\xff\xd8 not checked here")})
    if form.is_valid():
        recorded = form.client_timings()
        assert all(isinstance(v, int) and v >= 0 for v in recorded.values())
        assert recorded.get("retakes", 0) <= 1000
        assert form.cleaned_data["source"] in {"", "webcam", "upload"}
    else:
        assert set(form.errors) <= {*CaptureForm.TIMING_FIELDS, "source"}


# --- the photo decoder: damaged real photos and random bytes -----------------------------------

SEED_JPEG = jpeg_bytes(size=(96, 72))
SEED_PNG = io.BytesIO()
Image.open(io.BytesIO(SEED_JPEG)).save(SEED_PNG, "PNG")
SEED_PNG = SEED_PNG.getvalue()


@st.composite
def damaged_photo(draw):
    data = bytearray(draw(st.sampled_from([SEED_JPEG, SEED_PNG])))
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data) + draw(st.binary(max_size=64))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(damaged_photo(), st.binary(max_size=2048)))
def test_any_bytes_become_a_clean_jpeg_or_a_participant_message(data):
    try:
        jpeg, width, height = reencode_jpeg(data)
    except PhotoRejected as rejected:
        assert rejected.code in MESSAGES and rejected.message
        return
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG" and image.size == (width, height) and jpeg.endswith(b"\xff\xd9")
    assert not image.getexif()


# --- the stats input: a TrialTableError naming the column, or a clean table ---------------------

COLUMN_NAMES = [column.name for column in TRIAL_COLUMNS] + probability_columns(LABELS)
cell = st.one_of(
    st.none(),
    st.just(np.nan),
    st.just(""),
    st.just("  "),
    st.sampled_from([*LABELS, *CONDITIONS, "HAPPY", " sad ", "contempt"]),
    st.text(alphabet=string.printable, max_size=8),
    st.integers(-5, 50),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
good_cell = {
    "participant_id": st.sampled_from(["p1", "p2", "p3", 4]),
    "trial_index": st.integers(0, 20),
    "condition": st.sampled_from(CONDITIONS),
    "felt": st.sampled_from([*LABELS, "", None]),
    "target": st.sampled_from([*LABELS, "", None]),
    "predicted": st.sampled_from([*LABELS, "", None]),
    "intensity": st.one_of(st.integers(1, 7), st.none()),
    "valence": st.one_of(st.integers(1, 9), st.none()),
    "arousal": st.one_of(st.integers(1, 9), st.none()),
}


@st.composite
def trial_frames(draw):
    n = draw(st.integers(0, 6))
    columns = draw(st.lists(st.sampled_from(COLUMN_NAMES + ["extra", "prob_contempt"]), unique=True, max_size=14))
    if draw(st.booleans()):  # mostly well-formed frames, so that validation gets past the first check
        columns = list(dict.fromkeys([c.name for c in TRIAL_COLUMNS if c.required] + columns))
    frame = {}
    for name in columns:
        clean = name in good_cell and draw(st.integers(0, 3)) > 0
        frame[name] = [draw(good_cell[name] if clean else cell) for _ in range(n)]
    return pd.DataFrame(frame, columns=columns)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=trial_frames())
def test_a_trial_table_validates_or_names_the_column_at_fault(frame):
    try:
        clean = validate_trials(frame)
    except TrialTableError as error:
        message = str(error)
        assert any(name in message for name in [*frame.columns, *COLUMN_NAMES]), message
        return
    assert len(clean) == len(frame)
    assert clean["trial_index"].dtype == np.int64
    assert set(clean["condition"]) <= set(CONDITIONS)
    for name in ("felt", "target", "predicted"):
        assert all(v is None or (isinstance(v, str) and v == v.strip() and v) for v in clean[name])
    for name in ("intensity", "valence", "arousal"):
        assert clean[name].dtype == np.float64
    assert not clean.duplicated(["participant_id", "trial_index"]).any()


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=5))
def test_a_non_whole_trial_index_is_refused_by_name(values):
    assume(not all(math.isfinite(v) and v == int(v) for v in values))
    frame = pd.DataFrame({"participant_id": [f"p{i}" for i in range(len(values))], "trial_index": values,
                          "condition": "natural", "felt": "happy", "target": "", "predicted": "happy"})
    with pytest.raises(TrialTableError, match="trial_index"):
        validate_trials(frame)


@pytest.mark.parametrize("column", ["participant_id", "condition"])
def test_a_missing_id_or_condition_is_refused_by_name(column):
    """Found by the property above: pandas 3 keeps None through astype(str), so these slipped past."""
    frame = pd.DataFrame({"participant_id": ["p1", "p2"], "trial_index": [0, 0], "condition": ["natural"] * 2,
                          "felt": ["happy"] * 2, "target": ["", ""], "predicted": ["happy"] * 2})
    frame.loc[1, column] = None
    with pytest.raises(TrialTableError, match=column):
        validate_trials(frame)
