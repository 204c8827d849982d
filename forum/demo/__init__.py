"""Demo data of the Q&A forum: steps.py (registered steps) and texts.py (word lists)."""
