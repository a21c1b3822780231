"""The Amili sandbox: a stateful simulator of the Amili API for local runs, the demo and tests."""
