"""PostNord: return labels (Return Drop Off with a QR code for label-less drop-off, Return Pickup), tracking and
service points over PostNord's REST APIs. `standin/` is a fake PostNord on 127.0.0.1 for tests and the shell."""

from integrations.carriers.postnord.carrier import PostNordCarrier

__all__ = ["PostNordCarrier"]
