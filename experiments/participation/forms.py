"""The participant's forms; every label and message goes through gettext."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import Photo

NONE_OF_THESE = "none"  # stored as '' (felt matches none of the labels)

# Names of the default labels as participants read them; custom labels are shown as written.
LABEL_NAMES = {
    "angry": _("Angry"),
    "disgust": _("Disgusted"),
    "fear": _("Afraid"),
    "happy": _("Happy"),
    "sad": _("Sad"),
    "surprise": _("Surprised"),
    "neutral": _("Neutral"),
    "contempt": _("Contemptuous"),
}


def label_name(label: str) -> str:
    return LABEL_NAMES.get(label, label.replace("_", " ").capitalize())


def scale(low: int, high: int) -> list[tuple[int, str]]:
    return [(value, str(value)) for value in range(low, high + 1)]


# Client clock readings are milliseconds since the epoch (Date.now()); anything outside 2000-2100 is
# not a reading from a working clock, and would not fit the database's integers downstream.
EPOCH_MS_MIN, EPOCH_MS_MAX = 946_684_800_000, 4_102_444_800_000
CLOCK_ERROR = _("The page's clock reading was not valid. Please reload the page and try again.")


def clock_reading(**kwargs) -> forms.IntegerField:
    """A Date.now() value sent by the page, optional, bounded to a plausible clock."""
    return forms.IntegerField(required=False, min_value=EPOCH_MS_MIN, max_value=EPOCH_MS_MAX,
                              error_messages={"min_value": CLOCK_ERROR, "max_value": CLOCK_ERROR,
                                              "invalid": CLOCK_ERROR}, **kwargs)


class ConsentForm(forms.Form):
    photos_for_research = forms.BooleanField(
        label=_("My photos may be used for this research."),
        error_messages={"required": _("To take part, please agree that your photos are used for this research.")},
    )
    photos_for_rating = forms.BooleanField(
        required=False, label=_("My photos may also be shown to other participants, who rate the expressions.")
    )
    photos_for_publication = forms.BooleanField(
        required=False, label=_("My photos may be shown in scientific publications and talks.")
    )


class FeltForm(forms.Form):
    felt = forms.ChoiceField(
        label=_("Which word best describes how you feel right now?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one word, or “None of these”.")},
    )
    intensity = forms.TypedChoiceField(
        label=_("How strong is this feeling?"), choices=scale(1, 7), coerce=int, widget=forms.RadioSelect
    )
    valence = forms.TypedChoiceField(
        label=_("How unpleasant or pleasant do you feel?"), choices=scale(1, 9), coerce=int, widget=forms.RadioSelect
    )
    arousal = forms.TypedChoiceField(
        label=_("How calm or excited do you feel?"), choices=scale(1, 9), coerce=int, widget=forms.RadioSelect
    )

    def __init__(self, *args, labels: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["felt"].choices = [(label, label_name(label)) for label in labels] + [
            (NONE_OF_THESE, _("None of these"))
        ]

    def clean_felt(self) -> str:
        felt = self.cleaned_data["felt"]
        return "" if felt == NONE_OF_THESE else felt


class PoseCheckForm(forms.Form):
    pose_rating = forms.TypedChoiceField(
        label=_("How well did you manage to show it?"),
        choices=scale(1, 7),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class CaptureForm(forms.Form):
    photo = forms.FileField(
        label=_("Take or choose a photo of your face"),
        error_messages={
            "required": _("Please take a photo, or choose one, before sending."),
            "empty": _("The photo is empty. Please try again."),
        },
    )
    source = forms.ChoiceField(choices=Photo.Source.choices, required=False)
    # Client clock readings in milliseconds since the epoch (Date.now()), recorded as sent.
    page_shown_ms = clock_reading()
    countdown_started_ms = clock_reading()
    captured_ms = clock_reading()
    submitted_ms = clock_reading()
    retakes = forms.IntegerField(required=False, min_value=0, max_value=1000)

    TIMING_FIELDS = ("page_shown_ms", "countdown_started_ms", "captured_ms", "submitted_ms", "retakes")

    def clean_photo(self):
        photo = self.cleaned_data["photo"]
        if photo.size > settings.PHOTO_MAX_BYTES:
            limit = settings.PHOTO_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(
                _("The photo file is too large (more than %(limit)s MB). Please try again with a smaller photo."),
                params={"limit": limit},
                code="too_large",
            )
        return photo

    def client_timings(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.TIMING_FIELDS if self.cleaned_data.get(name) is not None}


class WithdrawForm(forms.Form):
    withdrawal_code = forms.CharField(
        label=_("Your withdrawal code"),
        max_length=32,
        help_text=_("It was shown at the end of the study, for example ABCD-EFGH-JKLM."),
    )

    def clean_withdrawal_code(self) -> str:
        raw = "".join(ch for ch in self.cleaned_data["withdrawal_code"].upper() if ch.isalnum())
        return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


class RatingConsentForm(forms.Form):
    """A rater gives no photos: agreeing (the button) is the whole of the consent."""


class RatingForm(forms.Form):
    """One rating item. An attention check asks the expression question only."""

    label = forms.ChoiceField(
        label=_("Which expression does this face show?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one expression.")},
    )
    felt_guess = forms.ChoiceField(
        label=_("What do you think this person actually felt?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one word, or “None of these”.")},
    )
    confidence = forms.TypedChoiceField(
        label=_("How sure are you?"), choices=scale(1, 7), coerce=int, widget=forms.RadioSelect
    )
    # Client clock readings in milliseconds since the epoch (Date.now()), recorded as sent.
    shown_ms = clock_reading(widget=forms.HiddenInput)
    answered_ms = clock_reading(widget=forms.HiddenInput)

    TIMING_FIELDS = ("shown_ms", "answered_ms")

    def __init__(self, *args, labels: list[str], ask_felt_guess: bool, check: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(label, label_name(label)) for label in labels]
        self.fields["label"].choices = choices
        if check:
            self.fields["label"].label = _("Which expression does this item ask you to select?")
            del self.fields["confidence"]
        if check or not ask_felt_guess:
            del self.fields["felt_guess"]
        else:
            self.fields["felt_guess"].choices = choices + [(NONE_OF_THESE, _("None of these"))]

    def clean_felt_guess(self) -> str:
        guess = self.cleaned_data["felt_guess"]
        return "" if guess == NONE_OF_THESE else guess

    def answer(self) -> dict:
        data = self.cleaned_data
        return {
            "label": data["label"],
            "felt_guess": data.get("felt_guess", ""),
            "confidence": data.get("confidence"),
            "client_timings": {name: data[name] for name in self.TIMING_FIELDS if data.get(name) is not None},
        }
