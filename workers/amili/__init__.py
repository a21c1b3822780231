"""The Amili HTTP client: `workers.amili.client.AmiliClient` (import it from there).

Kept empty on purpose: importing `workers.amili.assumptions` (or one call module) should not pay for
httpx, PyJWT and the whole client.
"""
