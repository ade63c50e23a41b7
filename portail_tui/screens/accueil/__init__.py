"""The Accueil tab."""
