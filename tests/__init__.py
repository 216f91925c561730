"""Tests of the Homevolt Local API integration, its client and its simulator."""
