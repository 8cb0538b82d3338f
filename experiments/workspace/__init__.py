"""The researchers' workspace: their own experiments, live monitoring, the report, exports and photos."""
