"""Background resolution and enrichment: jobs, progress and the shared rate limiter."""
