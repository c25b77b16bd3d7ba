"""Two processes on one PostgreSQL make the same instant return at the same moment: one case, one label,
one e-mail."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from integrations.local_store.seed import seed_demo_orders
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.models import LabelRow, OperationRow, ReturnCaseRow

ROOT = Path(__file__).resolve().parents[1]

WORKER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    from commands import returns
    from commands.errors import UserError
    from commands.lookup import look_up
    from domain.orders import Address
    from commands.services import ReturnSettings, Services
    from integrations.carriers.local import LocalCarrier
    from integrations.local_store.store import LocalStore
    from integrations.mail import OutboxMailer
    from storage.db import Database, make_engine
    from storage.serials import next_serial

    url, outbox, start_at, user = sys.argv[1:5]
    db = Database(make_engine(url))
    now = lambda: datetime.now(UTC)
    services = Services(
        db=db, store=LocalStore(db), clock=now, carrier=LocalCarrier(lambda: next_serial(db, "tracking", now())),
        mailer=OutboxMailer(Path(outbox)),
        returns=ReturnSettings(Address(name="W", address1="S 1", zip="00100", city="Helsinki", country="FI"),
                               "returns@example.com", "Shop"),
    )
    order_id = look_up(services, "#1001").order.ref.id
    draft = returns.draft_return(services, order_id)
    while time.time() < float(start_at):
        time.sleep(0.001)
    try:
        opened = returns.open_case(services, draft, returns.default_form(draft), user)
        case = returns.create_label(services, opened.case.rma)
        returns.email_label(services, case.rma)
        print("created" if opened.created else "duplicate", case.rma)
    except UserError as exc:
        print("refused", exc.message)
    """
)


@pytest.mark.postgres
def test_two_processes_make_one_return(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    upgrade(engine)
    db = Database(engine)
    seed_demo_orders(db)

    start_at = str(time.time() + 3)  # both past their imports, then off at the same instant
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, pg_url, str(tmp_path / "outbox"), start_at, user],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for user in ("U1", "U2")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    # whoever loses a step hears it ("duplicate", or "refused: being made right now"); what counts is below
    said = [out.strip().split(" ", 1)[0] for out, _err in outputs]
    assert said.count("created") <= 1 and set(said) <= {"created", "duplicate", "refused"}
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReturnCaseRow)) == 1
        assert s.scalar(select(func.count()).select_from(LabelRow)) == 1
        assert s.scalar(select(func.count()).select_from(OperationRow).where(OperationRow.kind == "email")) == 1
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    db.dispose()
