"""Former address of the throwaway PostgreSQL server, now `portail_tui.pgcluster`
(`portail stress --postgres` uses it, and devtools is for tests and benchmarks only)."""

from __future__ import annotations

from portail_tui.pgcluster import ENV_URL, PgCluster, PgClusterError, find_bindir

__all__ = ["ENV_URL", "PgCluster", "PgClusterError", "find_bindir"]
