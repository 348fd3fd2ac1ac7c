"""Checks of the files marketers edit (`make check`): schemas, cross-references, Rasa's own validation.

Run with the Rasa environment's Python (it has jsonschema and ruamel.yaml):
    .venvs/rasa/bin/python scripts/check_project.py
"""
