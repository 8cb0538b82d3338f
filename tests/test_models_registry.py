"""Registering another ONNX model, running it beside the default, and the classify/reclassify commands."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from experiments.classifiers import register_model
from experiments.models import Classification, ClassifierModel, Participant, Trial
from experiments.photos import accept_photo
from fer_inference import CardError
from tests.inference.tiny_model import GRAY3_CARD, TINY_CARD, build_onnx_for_card, build_tiny_onnx

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_files(tmp_path):
    onnx_path, card_path = tmp_path / "tiny.onnx", tmp_path / "tiny.card.json"
    onnx_path.write_bytes(build_tiny_onnx())
    card_path.write_text(json.dumps(TINY_CARD))
    return onnx_path, card_path


@pytest.fixture
def photo(experiment, face_jpeg, django_capture_on_commit_callbacks):
    trial = Trial.objects.create(participant=Participant.objects.create(experiment=experiment), index=0,
                                 condition="opposite", felt="sad", target="happy")
    with django_capture_on_commit_callbacks(execute=True):
        return accept_photo(trial=trial, data=face_jpeg)


def test_a_second_model_with_another_card_runs_beside_the_default(experiment, photo, tiny_files, capsys,
                                                                  django_capture_on_commit_callbacks):
    call_command("register_model", "tiny", str(tiny_files[0]), str(tiny_files[1]))
    tiny = ClassifierModel.objects.get(name="tiny")
    assert "registered tiny" in capsys.readouterr().out
    with django_capture_on_commit_callbacks(execute=True):  # tasks run when the command's transaction commits
        call_command("reclassify", experiment.slug, "--model", "tiny", "--no-wait")
    rows = {row.model.name: row for row in photo.classifications.select_related("model")}
    assert set(rows) == {"mini-xception-fer2013", "tiny"}
    assert all(row.status == Classification.Status.DONE for row in rows.values())
    assert rows["tiny"].model_sha256 == tiny.sha256 != rows["mini-xception-fer2013"].model_sha256
    assert set(rows["tiny"].probabilities) == set(experiment.labels)
    assert rows["tiny"].face_box == rows["mini-xception-fer2013"].face_box  # same face, same detector


def test_reclassify_all_redoes_every_photo_once(experiment, photo, default_model, capsys,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reclassify", experiment.slug, "--model", default_model.name, "--all", "--no-wait")
    assert "queued 1 photos" in capsys.readouterr().out
    call_command("reclassify", experiment.slug, "--model", default_model.name)  # nothing missing: reports
    out = capsys.readouterr().out
    assert "queued 0 photos" in out and "1/1 classified" in out and "done: 1" in out
    row = photo.classifications.get()
    assert row.status == Classification.Status.DONE and row.attempts == 1


def test_a_card_that_does_not_fit_its_model_is_refused_at_registration(tiny_files):
    onnx_path, card_path = tiny_files
    card_path.write_text(json.dumps({**TINY_CARD, "input_shape": [None, 64, 64, 1], "layout": "NHWC",
                                     "colour": "gray"}))
    with pytest.raises(CommandError, match="was not registered: mean needs 1 or 1 values"):
        call_command("register_model", "wrong", str(onnx_path), str(card_path))
    with pytest.raises(CardError):
        register_model(name="wrong", onnx_path=onnx_path, card={**TINY_CARD, "labels": ["a", "b"]})
    assert not ClassifierModel.objects.filter(name="wrong").exists()


def test_the_classify_command_reads_files_from_the_terminal(tmp_path, face_jpeg, capsys):
    path = tmp_path / "face.jpg"
    path.write_bytes(face_jpeg)
    call_command("classify", str(path), "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "done" and result["top_label"] == "happy"
    call_command("classify", str(path))
    assert "happy" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no model named"):
        call_command("classify", str(path), "--model", "nope")


@pytest.fixture
def constant_files(tmp_path):
    """A deliberately broken model: it says the second label ("disgust") with ~1.0 for every input."""
    onnx_path, card_path = tmp_path / "broken.onnx", tmp_path / "broken.card.json"
    onnx_path.write_bytes(build_onnx_for_card(GRAY3_CARD, constant=True))
    card_path.write_text(json.dumps(GRAY3_CARD))
    return onnx_path, card_path


def test_a_constant_output_model_is_refused_with_the_reason(constant_files):
    onnx_path, card_path = constant_files
    with pytest.raises(CommandError, match="says 'disgust' with probability above 0.99 for 12 of the 12 faces"):
        call_command("register_model", "broken", str(onnx_path), str(card_path))
    with pytest.raises(CardError, match="astronaut: disgust 1.00"):  # the refusal shows what it said
        register_model(name="broken", onnx_path=onnx_path, card=GRAY3_CARD)
    assert not ClassifierModel.objects.filter(name="broken").exists()


def test_a_card_that_calls_probabilities_logits_is_refused(tmp_path):
    softmaxed = {**TINY_CARD, "output_kind": "probabilities"}  # the tiny model outputs logits
    path = tmp_path / "tiny.onnx"
    path.write_bytes(build_tiny_onnx())
    with pytest.raises(CardError, match='the card says its outputs are probabilities.*set output_kind to "logits"'):
        register_model(name="mislabelled", onnx_path=path, card=softmaxed)


def test_the_admin_refuses_a_constant_output_model(admin_client, constant_files):
    onnx_path, _ = constant_files
    response = admin_client.post(reverse("admin:experiments_classifiermodel_add"), {
        "name": "broken", "version": "1", "onnx_path": str(onnx_path), "card": json.dumps(GRAY3_CARD),
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
    })
    assert response.status_code == 200
    assert "says &#x27;disgust&#x27; with probability above 0.99" in response.content.decode()
    assert not ClassifierModel.objects.filter(name="broken").exists()


def test_the_admin_registers_a_model_that_behaves(admin_client, tiny_files):
    onnx_path, card_path = tiny_files
    response = admin_client.post(reverse("admin:experiments_classifiermodel_add"), {
        "name": "tiny", "version": "1", "onnx_path": str(onnx_path), "card": card_path.read_text(),
        "sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
    })
    assert response.status_code == 302
    assert len(ClassifierModel.objects.get(name="tiny").behaviour["faces"]) == 12


def test_a_grey_to_three_channel_model_registers_and_classifies(experiment, photo, tmp_path, capsys,
                                                                django_capture_on_commit_callbacks):
    onnx_path, card_path = tmp_path / "gray3.onnx", tmp_path / "gray3.card.json"
    onnx_path.write_bytes(build_onnx_for_card(GRAY3_CARD))
    card_path.write_text(json.dumps(GRAY3_CARD))
    call_command("register_model", "gray3", str(onnx_path), str(card_path))
    out = capsys.readouterr().out
    assert "Its outputs on the bundled real faces:" in out and "registered gray3" in out
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reclassify", experiment.slug, "--model", "gray3", "--no-wait")
    row = photo.classifications.get(model__name="gray3")
    assert row.status == Classification.Status.DONE
    assert abs(sum(row.probabilities.values()) - 1) < 1e-6
    assert row.crop_labels and 0 <= row.label_stability <= 1
