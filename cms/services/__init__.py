"""Services of the CMS: they own writes (page creation in bulk, editorial permissions)."""
