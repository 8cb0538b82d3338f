"""A whole study in real headless Chromium with a fake camera, on a desktop and on a phone screen."""

import re

import pytest

from experiments.models import Classification, Participant, Photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 860}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


def step_of(url: str) -> str:
    """consent / camera / feeling-1 / photo-2 ... from a study URL."""
    match = re.search(r"/p/[^/]+/(?:trial/(\d+)/)?([a-z_]+)/", url)
    assert match, url
    number, step = match.groups()
    return f"{step}-{number}" if number else step


class Recorder:
    """Takes a numbered full-page screenshot of each page the participant sees."""

    def __init__(self, page, folder, prefix):
        self.page, self.folder, self.prefix, self.count = page, folder, prefix, 0
        for old in folder.glob(f"{prefix}-*.png"):
            old.unlink()

    def shot(self, name=None):
        self.count += 1
        name = name or step_of(self.page.url)
        self.page.screenshot(path=self.folder / f"{self.prefix}-{self.count:02d}-{name}.png", full_page=True)


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_participant_completes_the_study_with_a_webcam(device, chromium, live_server, experiment, screenshots):
    context = chromium.new_context(**VIEWPORTS[device])
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    record = Recorder(page, screenshots, device)
    page.set_default_timeout(20_000)

    page.goto(f"{live_server.url}/s/{experiment.slug}/?PROLIFIC_PID=browser-{device}&STUDY_ID=s&SESSION_ID=x")
    record.shot()
    page.get_by_label("My photos may be used for this research.").check()
    page.get_by_role("button", name="I agree and want to take part").click()

    page.wait_for_url(re.compile(r"/camera/$"))
    record.shot()
    page.get_by_role("button", name="Turn on my camera").click()
    page.get_by_text("Your camera works").wait_for()
    page.wait_for_function("document.querySelector('[data-video]').videoWidth > 0")
    record.shot("camera-on")
    page.get_by_role("button", name="Continue").click()

    rounds = 0
    while True:
        page.wait_for_url(re.compile(r"/(feeling|debrief)/$"))
        if page.url.endswith("/debrief/"):
            break
        rounds += 1
        record.shot()
        page.get_by_label("Happy").check()
        page.locator("input[name=intensity][value='5']").check()
        page.locator("input[name=valence][value='7']").check()
        page.locator("input[name=arousal][value='4']").check()
        page.get_by_role("button", name="Next").click()

        page.wait_for_url(re.compile(r"/instruction/$"))
        record.shot()
        page.get_by_role("button", name="I am ready").click()

        page.wait_for_url(re.compile(r"/photo/$"))
        shoot = page.get_by_role("button", name="Take photo")
        shoot.wait_for()
        page.wait_for_function("document.querySelector('[data-video]').videoWidth > 0")
        record.shot()
        shoot.click()
        send = page.get_by_role("button", name="Use this photo")
        send.wait_for(timeout=10_000)  # after the countdown
        record.shot(f"preview-{rounds}")
        send.click()

        page.wait_for_url(re.compile(r"/(check|feeling|debrief)/$"))
        if page.url.endswith("/check/"):
            record.shot()
            page.locator("input[name=pose_rating][value='6']").check()
            page.get_by_role("button", name="Next").click()
        assert rounds <= 10

    record.shot()
    withdrawal_code = page.locator("[data-withdrawal-code]").inner_text()
    page.get_by_role("button", name="Finish the study").click()
    page.wait_for_url(re.compile(r"/done/$"))
    record.shot()
    assert page.locator("[data-completion-code]").inner_text() == experiment.completion_code
    context.close()

    participant = Participant.objects.get(external_id=f"browser-{device}")
    assert participant.status == Participant.Status.COMPLETED
    assert participant.withdrawal_code == withdrawal_code
    assert rounds == len(participant.condition_order) == 4
    photos = Photo.objects.filter(trial__participant=participant)
    assert photos.count() == 4
    for photo in photos:
        assert photo.source == Photo.Source.WEBCAM
        assert photo.file.storage.exists(photo.file.name)
        assert (photo.width, photo.height) == (640, 480)
        assert photo.trial.client_timings["captured_ms"] >= photo.trial.client_timings["countdown_started_ms"]
    classifications = Classification.objects.filter(photo__in=photos)
    assert classifications.count() == 4
    assert all(c.status == Classification.Status.DONE and c.top_label for c in classifications), [
        (c.status, c.error) for c in classifications
    ]
    assert not problems, problems  # no CSP violation, no script error


def test_without_a_camera_the_file_fallback_completes_a_photo_step(
    chromium, live_server, experiment, screenshots, tmp_path, face_jpeg
):
    photo_file = tmp_path / "selfie.jpg"
    photo_file.write_bytes(face_jpeg)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.add_init_script("Object.defineProperty(navigator, 'mediaDevices', {value: undefined});")
    page = context.new_page()
    page.set_default_timeout(20_000)
    record = Recorder(page, screenshots, "no-camera")

    page.goto(f"{live_server.url}/s/{experiment.slug}/")
    page.get_by_label("My photos may be used for this research.").check()
    page.get_by_role("button", name="I agree and want to take part").click()
    page.wait_for_url(re.compile(r"/camera/$"))
    page.get_by_text("cannot use a camera").wait_for()
    record.shot()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Sad").check()
    for name, value in (("intensity", 3), ("valence", 2), ("arousal", 6)):
        page.locator(f"input[name={name}][value='{value}']").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="I am ready").click()
    page.wait_for_url(re.compile(r"/photo/$"))
    page.get_by_label("Take or choose a photo of your face").set_input_files(str(photo_file))
    record.shot()
    page.get_by_role("button", name="Send photo").click()
    page.wait_for_url(re.compile(r"/(check|feeling)/$"))
    context.close()

    photo = Photo.objects.get()
    assert photo.source == Photo.Source.UPLOAD and photo.file.storage.exists(photo.file.name)
