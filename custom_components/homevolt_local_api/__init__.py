"""Homevolt Local API for Home Assistant."""
