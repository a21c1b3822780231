"""`amili-fleet demo`: the whole fleet on loopback, driven by realistic traffic, ending in a summary."""
