"""The Historiques tab."""
