"""Demo data of the cloud classroom (see steps.py), registered with core's seed_demo."""
