"""Shipit (a Finnish multi-carrier service: Posti, PostNord, DHL, Matkahuolto, …): return labels over its API.

`carrier.py` is the Carrier, `client.py` the HTTP calls, `bodies.py` the request and answer shapes; `standin.py`
is a fake Shipit API on 127.0.0.1 for the tests, the benchmark and `returnbot shell`
(`python -m integrations.carriers.shipit.standin`).
"""

from integrations.carriers.shipit.carrier import ShipitCarrier
from integrations.carriers.shipit.client import PRODUCTION_URL, TEST_URL

__all__ = ["PRODUCTION_URL", "TEST_URL", "ShipitCarrier"]
