"""Finance reads: `GET /finance--payout-specifications` and `GET /finance--payouts` (+ `/{id}`)."""

from __future__ import annotations

from fastapi import FastAPI

from sandbox.resources.common import add_collection


def register(app: FastAPI) -> None:
    add_collection(app, "finance--payout-specifications", tag="finance")
    add_collection(app, "finance--payouts", tag="finance")
