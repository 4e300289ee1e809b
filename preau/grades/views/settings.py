"""Grades pages: settings (filled in by its release)."""

patterns: list = []
