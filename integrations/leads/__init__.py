"""The sales reps' command-line tool: list, show, claim and export leads, and manage the outbox.

Run it as `scripts/leads --help` (or `python -m integrations.leads.cli`).
"""
