"""`python -m sandbox.bench`: requests per second against a fresh sandbox subprocess on loopback.

Runs a mix of reads (`GET /cases/{id}`, a filtered list) and writes (partial payments) from
`--concurrency` async httpx clients for `--seconds`, and prints the rate. The client shares the
machine with the server, so the figure is a lower bound for the server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
import jwt

from sandbox import jsonio
from sandbox.process import SandboxServer
from sandbox.reading import API_KEY_HEADER, OPEN_CASES_WHERE, TOKEN_FIELD, TOKEN_PATH
from sandbox.seed import load_seed


def _token(base_url: str) -> tuple[str, str]:
    seed = load_seed()
    code = next(c for c in seed.api_codes.values() if c.account)
    assert code.private_key_file is not None
    assertion = jwt.encode(
        {"api_code": code.api_code, "exp": int(time.time()) + 600},
        Path(code.private_key_file).read_bytes(),
        algorithm="ES256",
    )
    token = httpx.get(base_url + TOKEN_PATH, headers={API_KEY_HEADER: assertion}).json()[TOKEN_FIELD]
    creditor = next(c["_id"] for c in seed.creditors if c["account"] == code.account)
    return str(token), str(creditor)


def _invoice(creditor: str, n: int) -> dict[str, object]:
    return {
        "creditor": creditor,
        "invoice_type": "invoice",
        "invoice_number": f"BENCH-{n}",
        "currency": "SEK",
        "invoice_date": "Mon, 16 Jun 2025 00:00:00 GMT",
        "invoice_due_date": "Mon, 30 Jun 2025 00:00:00 GMT",
        "customer": {"name": "Bench", "is_company": True, "customer_number": f"B{n % 50}"},
        "matrix": [{"article_description": "x", "unit_price": 1000, "number_of_units": 1, "unit_vat_percent": "25%"}],
    }


class _RawClient:
    """A minimal keep-alive HTTP/1.1 client: httpx itself would be the bottleneck of the measurement."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, target: str, body: bytes = b"") -> int:
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {self.host}\r\n{API_KEY_HEADER}: {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def _worker(raw: _RawClient, creditor: str, cases: list[str], stop: float, n: int) -> int:
    await raw.open()
    done = 0
    where = quote(jsonio.dumps({"creditor": creditor, **OPEN_CASES_WHERE}).decode())
    while time.monotonic() < stop:
        case = cases[(n + done) % len(cases)]
        if done % 10 == 9:
            payment = {
                "creditor": creditor,
                "case": case,
                "currency": "SEK",
                "amount": Decimal("0.01"),
                "bank_transaction_date": "Mon, 16 Jun 2025 00:00:00 GMT",
                "origin": "creditor_system",
            }
            status = await raw.request("POST", "/creditor--payments", jsonio.dumps(payment))
        elif done % 10 == 8:
            status = await raw.request("GET", f"/cases?where={where}&max_results=25")
        else:
            status = await raw.request("GET", f"/cases/{case}")
        assert status < 300, status
        done += 1
    raw.writer.close()
    return done


async def _run(base_url: str, concurrency: int, seconds: float) -> float:
    token, creditor = _token(base_url)
    headers = {API_KEY_HEADER: token, "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
        cases = []
        for n in range(200):
            response = await client.post("/invoice--registrations", content=jsonio.dumps(_invoice(creditor, n)))
            cases.append(response.json()["_case"])
    url = httpx.URL(base_url)
    stop = time.monotonic() + seconds
    started = time.monotonic()
    clients = [_RawClient(url.host, url.port or 80, token) for _ in range(concurrency)]
    counts = await asyncio.gather(*(_worker(c, creditor, cases, stop, i) for i, c in enumerate(clients)))
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with SandboxServer() as server:
        rate = asyncio.run(_run(server.base_url, args.concurrency, args.seconds))
    print(f"{rate:.0f} requests/s over {args.seconds:.0f}s with {args.concurrency} concurrent clients")


if __name__ == "__main__":
    main()
