"""`AmiliClient`: one typed async method per Amili call the use cases need.

    async with AmiliClient.from_settings(settings, on_response=metrics.observe_amili) as amili:
        result = await amili.register_invoice(InvoiceRegistration(...))
        url = amili.deep_link(result.case)

The methods are grouped by area in the `calls_*` modules; `session.py` holds the shared machinery
(one pooled httpx client, tokens, pagination) and `http.py` the one error-mapping table. Tests pass
`transport=httpx.MockTransport(...)` to the constructor.
"""

from __future__ import annotations

from workers.amili.calls_actions import ActionCalls
from workers.amili.calls_cases import CaseCalls
from workers.amili.calls_finance import FinanceAndUserCalls
from workers.amili.calls_partner import PartnerCalls


class AmiliClient(CaseCalls, ActionCalls, FinanceAndUserCalls, PartnerCalls):
    """The Amili API client; share one instance per process (it pools connections and tokens)."""


__all__ = ["AmiliClient"]
