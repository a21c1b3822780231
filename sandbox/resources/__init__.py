"""The sandbox's HTTP resources, one module per family; each exposes `register(app)`."""
