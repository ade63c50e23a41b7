"""The Paiement tab."""
