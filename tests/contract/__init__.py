"""The client's assumptions about Amili against the sandbox's own reading of the reference."""
