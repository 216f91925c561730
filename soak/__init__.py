"""The fault soak (scripts/soak)."""
