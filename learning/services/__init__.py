"""Writes and the media pipeline of the cloud classroom; reads live in learning/selectors.py."""
