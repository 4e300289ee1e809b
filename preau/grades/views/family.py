"""Grades pages: family (filled in by its release)."""

patterns: list = []
