"""The Dossier tab."""
