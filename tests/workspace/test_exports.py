"""Exports: one column list drives the CSV, the Parquet file and the codebook; cells are spreadsheet-safe;
the trial CSV reproduces the report's numbers through the statistics CLI."""

import csv
import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.urls import reverse

from experiments.exports.columns import RATING_COLUMNS, participant_columns, trial_columns
from experiments.exports.csv_stream import neutralise
from experiments.exports.results import analysis_for
from experiments.exports.tidy import trial_table
from experiments.models import Experiment, Participant, Trial
from fer_stats.cli import main as stats_cli

pytestmark = pytest.mark.django_db


def download(client, experiment, name, **query):
    response = client.get(reverse("workspace:export", args=[experiment.slug, name]), query)
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def test_the_trial_csv_streams_and_its_header_is_the_column_list_and_the_codebook(client, researcher, study_data):
    client.force_login(researcher)
    response, body = download(client, study_data, "trials.csv")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Cache-Control"] == "private, no-store"
    header, *rows = csv_rows(body)
    _, codebook = download(client, study_data, "codebook.json")
    resources = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in json.loads(codebook)["resources"]}
    assert header == [c.name for c in trial_columns(study_data.labels)] == resources["trials"]
    assert len(rows) == 32


def test_ratings_and_participants_headers_match_the_codebook(client, researcher, study_data):
    client.force_login(researcher)
    _, codebook = download(client, study_data, "codebook.json")
    resources = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in json.loads(codebook)["resources"]}
    ratings_header = csv_rows(download(client, study_data, "ratings.csv")[1])[0]
    participants_header = csv_rows(download(client, study_data, "participants.csv")[1])[0]
    assert ratings_header == [c.name for c in RATING_COLUMNS] == resources["ratings"]
    assert participants_header == [c.name for c in participant_columns()] == resources["participants"]


def test_the_markdown_codebook_describes_every_column(client, researcher, study_data):
    client.force_login(researcher)
    _, body = download(client, study_data, "codebook.md")
    for column in trial_columns(study_data.labels):
        assert f"`{column.name}`" in body.decode()


def test_every_row_is_stamped_with_the_config_hash_and_the_model_sha256(client, researcher, study_data):
    client.force_login(researcher)
    header, *rows = csv_rows(download(client, study_data, "trials.csv")[1])
    model = study_data.classifier_models.get()
    config, sha = header.index("config_sha256"), header.index("model_sha256")
    assert {row[config] for row in rows} == {study_data.config_sha256}
    assert {row[sha] for row in rows} == {model.sha256}


def test_it_neutralises_spreadsheet_formulas():
    assert [neutralise(v) for v in ["=1+1", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "safe"]] == [
        "'=1+1", "'+1", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx", "safe"]


def test_the_database_built_csv_neutralises_formulas_in_every_text_cell(client, researcher, study_data):
    trial = Trial.objects.filter(participant__experiment=study_data).order_by("participant_id", "index").first()
    Trial.objects.filter(pk=trial.pk).update(felt='=HYPERLINK("http://evil")', target="+1", condition="-2")
    Experiment.objects.filter(pk=study_data.pk).update(slug="-evil-study")
    study_data.refresh_from_db()
    client.force_login(researcher)
    header, first, *_ = csv_rows(download(client, study_data, "trials.csv")[1])
    cells = dict(zip(header, first, strict=True))
    assert cells["felt"] == "'=HYPERLINK(\"http://evil\")"
    assert (cells["target"], cells["condition"], cells["experiment"]) == ("'+1", "'-2", "'-evil-study")


def test_the_database_built_csv_says_what_the_typed_rows_say(study_data):
    """The CSV lines come from SQL, the report's frame from Python rows: cell by cell, they agree."""
    table = trial_table(study_data)
    header, *lines = csv_rows("".join(table.csv()).encode())
    rows = list(table.rows())
    assert len(lines) == len(rows) == 32
    for line, row in zip(lines, rows, strict=True):
        for name, cell, value in zip(header, line, row, strict=True):
            if value is None:
                assert cell == "", name
            elif isinstance(value, float):
                assert float(cell) == value, name  # exact: the same double
            else:
                assert cell == str(value), name


def test_panel_ids_are_exported_only_when_asked_and_then_neutralised(client, researcher, study_data):
    first, second = study_data.participants.all()[:2]
    Participant.objects.filter(pk=first.pk).update(external_id="=cmd|' /C calc'!A0")
    Participant.objects.filter(pk=second.pk).update(external_id="@evil")
    study_data.participants.exclude(pk__in=[first.pk, second.pk]).delete()
    client.force_login(researcher)
    plain = download(client, study_data, "participants.csv")[1].decode()
    assert "cmd" not in plain and "evil" not in plain and "external_id" not in plain
    header, *rows = csv_rows(download(client, study_data, "participants.csv", external_ids="1")[1])
    ids = {row[header.index("external_id")] for row in rows}
    assert ids == {"'=cmd|' /C calc'!A0", "'@evil"}


def test_participant_ids_are_pseudonyms_not_link_codes(client, researcher, study_data):
    client.force_login(researcher)
    body = download(client, study_data, "trials.csv")[1].decode()
    for participant in study_data.participants.all():
        assert participant.public_code not in body
        assert participant.withdrawal_code not in body


def test_withdrawn_participants_are_left_out(client, researcher, study_data):
    withdrawn = study_data.participants.first()
    withdrawn.status = Participant.Status.WITHDRAWN
    withdrawn.save()
    client.force_login(researcher)
    header, *rows = csv_rows(download(client, study_data, "trials.csv")[1])
    assert f"p{withdrawn.pk}" not in {row[0] for row in rows}
    assert len(rows) == 28


def test_parquet_has_the_same_columns_and_rows(client, researcher, study_data, tmp_path):
    client.force_login(researcher)
    _, body = download(client, study_data, "trials.parquet")
    path = tmp_path / "trials.parquet"
    path.write_bytes(body)
    table = pq.read_table(path)
    assert table.column_names == [c.name for c in trial_columns(study_data.labels)]
    assert table.num_rows == 32
    assert table.schema.metadata[b"config_sha256"].decode() == study_data.config_sha256


def test_the_photo_zip_holds_only_photos_shared_by_consent(client, researcher, study_data):
    client.force_login(researcher)
    response, body = download(client, study_data, "photos.zip")
    assert isinstance(response, StreamingHttpResponse)
    archive = zipfile.ZipFile(io.BytesIO(body))
    photos = [n for n in archive.namelist() if n.endswith(".jpg")]
    sharing = {f"p{p.pk}" for p in study_data.participants.filter(photos_for_publication=True)}
    assert len(photos) == 16
    assert {n.split("/")[1].split("_")[0] for n in photos} == sharing
    assert archive.read(photos[0])[:2] == b"\xff\xd8"


def test_the_exported_csv_reproduces_the_reports_numbers_through_the_stats_cli(
    client, researcher, study_data, tmp_path, capsys
):
    client.force_login(researcher)
    path = tmp_path / "trials.csv"
    path.write_bytes(download(client, study_data, "trials.csv")[1])
    out = tmp_path / "results.json"
    assert stats_cli([str(path), "--out", str(out)]) == 0
    from_cli = json.loads(out.read_text())
    report = analysis_for(study_data)
    assert report["error"] is None
    assert from_cli == json.loads(json.dumps(report["results"]))
    results_export = json.loads(download(client, study_data, "results.json")[1])
    assert results_export["results"] == from_cli


def test_manage_py_export_writes_the_same_bytes_as_the_download(client, researcher, study_data, tmp_path):
    client.force_login(researcher)
    for fmt, name in [("csv", "trials.csv"), ("codebook", "codebook.json")]:
        out = tmp_path / name
        call_command("export", study_data.slug, "--format", fmt, "--out", str(out))
        assert out.read_bytes() == download(client, study_data, name)[1]
    call_command("export", study_data.slug, "--format", "photos", "--out", str(tmp_path / "p.zip"))
    assert zipfile.ZipFile(tmp_path / "p.zip").namelist()


def test_manage_py_analyze_prints_the_summary_and_writes_json(study_data, tmp_path, capsys):
    out = tmp_path / "r.json"
    call_command("analyze", study_data.slug, "--out", str(out))
    assert "Decisive trials" in capsys.readouterr().out
    assert json.loads(out.read_text())["results"]["n_trials"] == 32


def test_an_unknown_export_is_404(client, researcher, study_data):
    client.force_login(researcher)
    assert client.get(reverse("workspace:export", args=[study_data.slug, "secrets.txt"])).status_code == 404


LOOK_ALIKES = ["＝1+1", "＋cmd", "－2", "＠SUM(A1)", "\u200b=cmd|' /C calc'!A0", "\ufeff+1", " \u2060@x", "\u00a0-3",
               "safe", "a=b"]


def test_sql_and_python_neutralise_the_same_look_alike_formulas(study_data):
    from django.db.models import Value

    from experiments.exports.sql import neutralised

    in_sql = [Participant.objects.annotate(cell=neutralised(Value(v))).values_list("cell", flat=True).first()
              for v in LOOK_ALIKES]

    assert in_sql == [neutralise(v) for v in LOOK_ALIKES]
    assert [cell.startswith("'") for cell in in_sql] == [True] * 8 + [False, False]


def test_full_width_and_zero_width_prefixed_formulas_are_neutralised_in_the_csv(client, researcher, study_data):
    trial = Trial.objects.filter(participant__experiment=study_data).order_by("participant_id", "index").first()
    Trial.objects.filter(pk=trial.pk).update(felt="＝HYPERLINK(\"http://evil\")", target="\u200b=cmd", condition="＠x")
    client.force_login(researcher)

    header, first, *_ = csv_rows(download(client, study_data, "trials.csv")[1])

    cells = dict(zip(header, first, strict=True))
    assert (cells["felt"], cells["target"], cells["condition"]) == (
        "'＝HYPERLINK(\"http://evil\")", "'\u200b=cmd", "'＠x")


def test_parquet_keeps_the_raw_values(client, researcher, study_data):
    trial = Trial.objects.filter(participant__experiment=study_data).order_by("participant_id", "index").first()
    Trial.objects.filter(pk=trial.pk).update(felt='=HYPERLINK("http://evil")', target="\u200b+1")
    Participant.objects.filter(pk=trial.participant_id).update(external_id="@panel-7")
    client.force_login(researcher)

    trials = pq.read_table(io.BytesIO(download(client, study_data, "trials.parquet")[1])).to_pylist()
    people = pq.read_table(io.BytesIO(download(client, study_data, "participants.parquet",
                                               external_ids="1")[1])).to_pylist()

    assert (trials[0]["felt"], trials[0]["target"]) == ('=HYPERLINK("http://evil")', "\u200b+1")
    assert "@panel-7" in {row["external_id"] for row in people}
