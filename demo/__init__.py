"""scripts/demo: a virtual Homevolt and a real Home Assistant."""
