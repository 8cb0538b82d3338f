"""Researchers' token API (Django REST Framework): experiments, status counts and exports."""
