"""Two processes on one PostgreSQL make the same instant return at the same moment: one case, one label,
one e-mail.

The processes are started together and synchronised on events, never on the clock: each says "ready" once
it is past its imports and connected, and waits for a "go" line; the test sends "go" to both only when both
are ready. However slow the machine, neither can have started (or finished) before the other is ready.
"""

from __future__ import annotations

import selectors
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from integrations.local_store.seed import seed_demo_orders
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.models import LabelRow, OperationRow, ReturnCaseRow

ROOT = Path(__file__).resolve().parents[1]
# only guards against a worker that hangs before it is ready; the test never waits on the clock otherwise
STUCK_SECONDS = 300

WORKER = textwrap.dedent(
    """
    import sys
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

    url, outbox, user = sys.argv[1:4]
    db = Database(make_engine(url))
    now = lambda: datetime.now(UTC)
    services = Services(
        db=db, store=LocalStore(db), clock=now, carrier=LocalCarrier(lambda: next_serial(db, "tracking", now())),
        mailer=OutboxMailer(Path(outbox)),
        returns=ReturnSettings(Address(name="W", address1="S 1", zip="00100", city="Helsinki", country="FI"),
                               "returns@example.com", "Shop"),
    )
    order_id = look_up(services, "#1001").order.ref.id  # connected, and the order is there
    print("ready", flush=True)
    sys.stdin.readline()  # "go": both are ready
    try:
        # the draft is taken after "go" too: the other process may already have made the whole return
        draft = returns.draft_return(services, order_id)
        opened = returns.open_case(services, draft, returns.default_form(draft), user)
        case = returns.create_label(services, opened.case.rma)
        returns.email_label(services, case.rma)
        print("created" if opened.created else "duplicate", case.rma, flush=True)
    except UserError as exc:
        print("refused", exc.message, flush=True)
    """
)


def wait_until_ready(procs: list[subprocess.Popen[str]], errors: list[Path]) -> None:
    """Block until every worker has said "ready" (or fail with what a worker that died wrote)."""
    waiting = {p.stdout: p for p in procs if p.stdout is not None}
    with selectors.DefaultSelector() as selector:
        for stream in waiting:
            selector.register(stream, selectors.EVENT_READ)
        while waiting:
            events = selector.select(timeout=STUCK_SECONDS)
            assert events, "a worker never became ready: " + " | ".join(e.read_text() for e in errors if e.exists())
            for key, _ in events:
                line = key.fileobj.readline()  # type: ignore[union-attr]
                proc = waiting.pop(key.fileobj)  # type: ignore[arg-type]
                selector.unregister(key.fileobj)
                assert line.strip() == "ready", (line, proc.wait(), [e.read_text() for e in errors])


@pytest.mark.postgres
def test_two_processes_make_one_return(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    upgrade(engine)
    db = Database(engine)
    seed_demo_orders(db)

    errors = [tmp_path / f"{user}.stderr" for user in ("U1", "U2")]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, pg_url, str(tmp_path / "outbox"), user],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=error.open("w"),  # a file, not a pipe: a chatty worker can never block on a full pipe
            text=True,
        )
        for user, error in zip(("U1", "U2"), errors, strict=True)
    ]
    try:
        wait_until_ready(procs, errors)
        for p in procs:  # both are waiting for this line: they go as close together as the OS allows
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=STUCK_SECONDS)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert all(p.returncode == 0 for p in procs), (outputs, [e.read_text() for e in errors])
    # whoever loses a step hears it ("duplicate", or "refused: being made right now"); what counts is below
    said = [out.strip().split(" ", 1)[0] for out in outputs]
    assert said.count("created") <= 1 and set(said) <= {"created", "duplicate", "refused"}, outputs
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReturnCaseRow)) == 1
        assert s.scalar(select(func.count()).select_from(LabelRow)) == 1
        assert s.scalar(select(func.count()).select_from(OperationRow).where(OperationRow.kind == "email")) == 1
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    db.dispose()
