"""Exports of an experiment's data: one column list per table drives the CSV, the Parquet file and the
codebook (`columns.py`); rows come from the ORM in one place (`tidy.py`); `files.py` names every export.
"""
