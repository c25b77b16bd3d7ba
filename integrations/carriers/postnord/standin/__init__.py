"""A fake PostNord on 127.0.0.1 (`python -m integrations.carriers.postnord.standin` serves one for the shell)."""

from integrations.carriers.postnord.standin.server import FAULT_KINDS, Booking, FakePostNord, PostNordCall

__all__ = ["FAULT_KINDS", "Booking", "FakePostNord", "PostNordCall"]
