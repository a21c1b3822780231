"""The Amili HTTP client: `workers.amili.client.AmiliClient` (import it from there).

Kept empty on purpose: the sandbox imports `workers.amili.assumptions` and should not pay for
httpx, PyJWT and the client when it does.
"""
