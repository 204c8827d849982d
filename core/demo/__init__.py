"""Demo data for `manage.py seed_demo`: word lists, generators, and core's steps (see registry.py)."""
