"""What the face did, from movement measures rather than an emotion classifier.

Each `move_<key>` column is a facial movement measure of the analysed photo (larger = more of that
movement, normalised by face size). Faces differ at rest, so each trial is expressed as a change from
its participant's own baseline: the mean of their natural-condition trials other than this one.
Changes are put on one scale per measure (a robust SD of all trials' changes, held fixed in
resamples), and each expression's prototype score is the mean signed change of its prototype
movements.

Prototype movements follow the EMFACS predictions (Friesen & Ekman, 1983, EMFACS-7; tabulated in
Matsumoto, Keltner, Shiota, O'Sullivan & Frank, 2008, "Facial expressions of emotion", Handbook of
Emotions, 3rd ed., pp. 211-234, Table 13.1): happiness AU6+12, sadness AU1+4+15, surprise
AU1+2+5B+26, fear AU1+2+4+5+7+20+26, anger AU4+5+7+23, disgust AU9+15+16, contempt R12A+R14A.
Each action unit maps to the measure it moves (AU1 inner_brow_raise, AU2 outer_brow_raise, AU4
brow_lowering, AU5 eye_opening, AU9/10 upper_lip_raise, AU12 lip_corner_raise and mouth_width,
AU15 lip_corner_depression, AU20 mouth_width, AU26 mouth_opening). Left out where one landmark
distance cannot tell the actions apart: AU4 beside AU1 (sadness, fear: the inner brow goes up
while the brow is drawn down), AU5 beside AU7 (anger: the lids widen and tighten), AU6, AU7,
AU16, AU23; contempt is one-sided, so it has no prototype in bilateral measures.

>>> sorted(PROTOTYPES["surprise"])
['eye_opening', 'inner_brow_raise', 'mouth_opening', 'outer_brow_raise']
"""

from __future__ import annotations

from collections.abc import Mapping

PROTOTYPES: Mapping[str, Mapping[str, int]] = {
    "happy": {"lip_corner_raise": +1, "mouth_width": +1},
    "sad": {"inner_brow_raise": +1, "lip_corner_depression": +1},
    "surprise": {"inner_brow_raise": +1, "outer_brow_raise": +1, "eye_opening": +1, "mouth_opening": +1},
    "fear": {"inner_brow_raise": +1, "outer_brow_raise": +1, "eye_opening": +1, "mouth_width": +1, "mouth_opening": +1},
    "angry": {"brow_lowering": +1},
    "disgust": {"upper_lip_raise": +1, "lip_corner_depression": +1},
}
PROTOTYPE_SOURCE = (
    "EMFACS predictions (Friesen & Ekman, 1983), as tabulated in Matsumoto, Keltner, Shiota, O'Sullivan & "
    "Frank (2008), Facial expressions of emotion, Handbook of Emotions (3rd ed.), Table 13.1"
)
NO_PROTOTYPE = {
    "neutral": "the neutral face is the baseline: no movement is predicted",
    "contempt": "contempt (R12A+R14A) is one-sided; the measures are bilateral",
}
