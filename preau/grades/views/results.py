"""Grades pages: results (filled in by its release)."""

patterns: list = []
