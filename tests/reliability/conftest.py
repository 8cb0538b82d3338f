"""The participant driver of the flow tests, shared with the reliability tests."""

from tests.flow.conftest import StudyParticipant, participant, participant_of, text_file  # noqa: F401
