"""The Pointage mode (P1–P3): marking the children expected at an activity."""
