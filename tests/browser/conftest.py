"""The browser fixtures live in tests/browser_fixtures.py, shared with the workspace's browser test."""
