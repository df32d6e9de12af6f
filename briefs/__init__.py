"""Incident briefs: built from the stored analyses (build.py), written as Markdown, HTML, JSON and STIX."""
