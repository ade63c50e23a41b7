"""The Régie mode (G5–G7): régisseurs and administrators only."""
