"""Demo data of the CMS (`manage.py seed_demo`): news, work updates, guides, services, covers."""
