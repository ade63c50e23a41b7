"""The Reservations tab."""
