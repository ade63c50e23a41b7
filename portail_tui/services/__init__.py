"""Use cases over a database: the only layer the screens and the CLI call."""
