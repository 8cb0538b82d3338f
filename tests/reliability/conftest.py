"""The participant driver of the flow tests, shared with the reliability tests."""

from tests.flow.conftest import StudyParticipant, at_capture, participant, participant_of, text_file  # noqa: F401
