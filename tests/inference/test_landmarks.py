"""The face mesh in the pipeline: on the face, compact to store, and in the stored photo's pixels even
when a large JPEG is decoded at a reduced scale."""

import json

import numpy as np
import pytest
import skimage.data
from PIL import Image

from fer_inference import classify_image
from fer_inference.landmarks import face_region, unpack_landmarks
from fer_inference.movements import LEFT_EYE, MOUTH, RIGHT_EYE


def mesh_of(data, models):
    return classify_image(data, detector=models.detector, classifier=models.classifier, landmarker=models.landmarker)


def eye_centre(points, eye):
    return (points[eye["outer"], :2] + points[eye["inner"], :2]) / 2


def test_the_mesh_lies_on_the_face_and_is_stored_compactly(models, astronaut_jpeg):
    result = mesh_of(astronaut_jpeg, models)
    points = unpack_landmarks(json.loads(json.dumps(result.landmarks)))
    x0, y0, x1, y1 = result.face_box
    right, left = eye_centre(points, RIGHT_EYE), eye_centre(points, LEFT_EYE)
    mouth = points[[MOUTH["right_corner"], MOUTH["left_corner"]], :2].mean(axis=0)
    assert x0 < right[0] < left[0] < x1 and y0 < right[1] < mouth[1] < y1
    assert result.landmarks["score"] > 0.9
    assert len(json.dumps(result.landmarks)) < 4000
    assert set(result.timings_ms) == {"decode", "detect", "classify", "landmarks", "total"}


def test_packing_keeps_the_points_to_a_hundredth_of_a_pixel(models, astronaut):
    (face,) = models.detector.detect(astronaut)
    mesh = models.landmarker.landmarks(astronaut, face)
    assert np.abs(unpack_landmarks(mesh.pack()) - mesh.points).max() < 0.01


def test_the_mesh_of_a_mirrored_photo_is_the_mirror_image(models, astronaut, encode):
    width = astronaut.width
    plain = unpack_landmarks(mesh_of(encode(astronaut), models).landmarks)
    flipped = unpack_landmarks(mesh_of(encode(astronaut.transpose(Image.Transpose.FLIP_LEFT_RIGHT)), models).landmarks)
    # the person's right eye in the mirror sits where their left eye was, reflected
    mirrored_left = eye_centre(plain, LEFT_EYE) * (-1, 1) + (width, 0)
    assert np.abs(eye_centre(flipped, RIGHT_EYE) - mirrored_left).max() < 3


def test_a_large_jpeg_is_measured_in_its_own_pixels(models, astronaut, encode):
    small = mesh_of(encode(astronaut, quality=95), models)
    large = mesh_of(encode(astronaut.resize((2048, 2048), Image.BICUBIC), quality=95), models)
    assert large.image_size == (2048, 2048)
    assert np.allclose(np.array(large.face_box) / 4, small.face_box, atol=3)
    iod = np.linalg.norm(eye_centre(unpack_landmarks(small.landmarks), LEFT_EYE)
                         - eye_centre(unpack_landmarks(small.landmarks), RIGHT_EYE))
    offset = np.abs(unpack_landmarks(large.landmarks)[:, :2] / 4 - unpack_landmarks(small.landmarks)[:, :2])
    assert offset.mean() < 0.05 * iod
    for name, value in small.measures.items():
        assert large.measures[name] == pytest.approx(value, abs=0.06), name


def test_a_region_without_a_face_gives_no_mesh(models):
    from fer_inference.detector import Face

    coffee = Image.fromarray(skimage.data.coffee())
    assert models.landmarker.landmarks(coffee, Face((100, 100, 300, 300), 0.9)) is None
    assert face_region(Face((100, 100, 300, 300), 0.9)).side == 300


def test_the_supersampled_crop_moves_the_mesh_by_a_fraction_of_a_pixel(models):
    from tests.inference.real_faces import photo_set

    offsets = []
    size = models.landmarker.size
    for photo in photo_set():
        for face in models.detector.detect(photo.image)[:1]:
            region = face_region(face)
            bilinear = photo.image.transform((size, size), Image.AFFINE, region.affine(size), Image.BILINEAR)
            fast, _ = models.landmarker.run(models.landmarker.crop(photo.image, region))
            slow, _ = models.landmarker.run(np.asarray(bilinear))
            offsets.append(np.abs(fast - slow)[:, :2].mean() * region.side / size)
    assert len(offsets) >= 8 and max(offsets) < 0.5
