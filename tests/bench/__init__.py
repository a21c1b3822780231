"""`make bench`: the fleet's throughput benchmark (not a test suite; pytest collects nothing here)."""
