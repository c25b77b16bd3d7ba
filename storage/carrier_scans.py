"""Parcel scans for the local carrier, which has no network: `returnbot carrier-scan TRACKING in_transit|delivered`
records what a scanner at the warehouse would, and the local carrier's tracking answers from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from domain.vocabulary import LabelStatus
from storage.db import Database
from storage.models import CarrierScanRow, LabelRow

SCANNABLE = (LabelStatus.IN_TRANSIT, LabelStatus.DELIVERED)


def record(db: Database, tracking_number: str, status: LabelStatus, *, at: datetime) -> bool:
    """Keep the scan; True when a label of ours has this tracking number. Its label is asked about first at the
    next tick (as if never asked), so a scan shows within a minute whatever else is being tracked."""
    if status not in SCANNABLE:
        raise ValueError(f"a scan says {' or '.join(SCANNABLE)}, not {status!r}")
    with db.session(write=True) as s:
        s.add(CarrierScanRow(tracking_number=tracking_number, status=status, scanned_at=at))
        known = s.execute(update(LabelRow).where(LabelRow.tracking_number == tracking_number).values(tracked_at=None))
        return bool(getattr(known, "rowcount", 0))


def latest(db: Database, tracking_number: str) -> LabelStatus:
    """What the newest scan of the parcel says; UNKNOWN before any."""
    with db.session() as s:
        status = s.scalar(
            select(CarrierScanRow.status)
            .where(CarrierScanRow.tracking_number == tracking_number)
            .order_by(CarrierScanRow.scanned_at.desc(), CarrierScanRow.id.desc())
            .limit(1)
        )
    return LabelStatus(status) if status else LabelStatus.UNKNOWN
