"""Grades pages: entry (filled in by its release)."""

patterns: list = []
