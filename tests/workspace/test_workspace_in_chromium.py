"""A researcher in a real headless Chromium: empty workspace → launched experiment → data → report.

Saves screenshots of the live page and the report under artifacts/screenshots/, and fails on any
Content-Security-Policy violation the browser reports.
"""

from pathlib import Path

import pytest

from experiments.models import Experiment
from tests.workspace.conftest import add_participants

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    context.close()


def test_a_researcher_goes_from_nothing_to_a_report(page, live_server, researcher, default_model, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(live_server.url + "/workspace/")
    page.fill("input[name=username]", "researcher")
    page.fill("input[name=password]", "research-pass-1")
    page.click("button[type=submit]")
    page.click("text=New experiment")
    page.fill("input[name=title]", "Faces in the browser")
    page.fill("input[name=slug]", "browser-study")
    page.fill("textarea[name=consent_text]", "You agree to take part.")
    page.click("form.ws-form button[type=submit]")
    page.click("button:has-text('Launch')")
    assert "Launched" in page.content()
    experiment = Experiment.objects.get(slug="browser-study")
    assert experiment.status == "live" and experiment.config_sha256 in page.content()

    add_participants(experiment, 12, trials_per=8, seed=3)  # a simulated run
    page.goto(live_server.url + f"/workspace/{experiment.slug}/live/")
    page.wait_for_selector("[data-field='participants.completed']:has-text('12')")
    page.screenshot(path=SCREENSHOTS / "workspace-live.png", full_page=True)

    page.goto(live_server.url + f"/workspace/{experiment.slug}/report/")
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("figure.plot img").count() == 5
    page.screenshot(path=SCREENSHOTS / "workspace-report.png", full_page=True)

    with page.expect_download() as download:
        page.click("text=Download as one HTML file")
    report = tmp_path / "report.html"
    download.value.save_as(report)
    offline = page.context.browser.new_page()
    offline.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else
                  route.continue_())
    offline.goto(report.as_uri())
    assert offline.locator("svg").count() >= 5
    offline.screenshot(path=SCREENSHOTS / "workspace-report-offline.png", full_page=True)
    assert not page.problems, page.problems
