"""Grades pages: councils (filled in by its release)."""

patterns: list = []
