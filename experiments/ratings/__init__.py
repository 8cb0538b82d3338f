"""Human observers: a rating study on consented photos, so people and the model are compared on the same faces.

- `assignment`: which photos a rater gets (consent filter, k per photo, never own photos, never twice).
- `abandoned`: the photos of raters who left mid-study go back to the pool; what a returning rater gets.
- `tasks`: the beat job that releases them.
- `services`: answering a rating item (through the shared step machinery of `experiments.participation`).
- `photo_access`: the short-lived signed URL that shows a rater the photo of their current item only.
- `analysis`: attention checks and the statistics engine's observer analysis on the ratings.
"""
