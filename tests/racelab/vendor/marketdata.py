"""A stand-in for a market-data vendor's SDK, installed outside the scenario project (the race
lab puts this folder on sys.path): each ``latest_quote`` is one billed HTTP request to the
lab's PaidApi (``MARKETDATA_URL``)."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from typing import Any


class Client:
    def __init__(self, api_key: str = "") -> None:
        self.api_key = api_key

    def latest_quote(self, symbol: str) -> dict[str, Any]:
        query = urllib.parse.urlencode({"symbol": symbol, "key": self.api_key})
        with urllib.request.urlopen(f"{os.environ['MARKETDATA_URL']}?{query}", timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))
