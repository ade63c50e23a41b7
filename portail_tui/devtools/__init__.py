"""What only the tests and the benchmarks use (start-up probe, migration regeneration).
No product module imports this package: an import-linter contract says so."""
