"""Classes that replace machina's through machina.core.loading (see forum_permission/__init__.py)."""
