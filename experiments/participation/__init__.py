"""What participants see: entry, consent, trials, capture, debrief and withdrawal.

`steps.py` is the one list of steps and decides where a participant must be; `services.py` changes
things; `views.py` only checks the step, calls one service and redirects.
"""
