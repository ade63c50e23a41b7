"""Helpers shared by the test modules: small controlled towns and a scripted SMTP
server. Nothing here is a test; pytest collects only the ``test_*.py`` modules."""
