"""The `hydromet` command: serve, migrate, seed, keys, import, db."""

import argparse
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlmodel import Session

from domain.access.models import SYSTEM, Principal, Role
from domain.access.service import authenticate, create_key, get_organization, revoke_key, rotate_key
from domain.audit.service import reset_actor, set_actor
from domain.db.engine import libpq_url, make_engine, session_scope
from domain.errors import DomainError
from domain.settings import Settings, get_settings

log = logging.getLogger("hydromet")
ROOT = Path(__file__).resolve().parent.parent


def say(text: str) -> None:
    """Write a line for the person at the terminal (the CLI's output, not a log)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def alembic_config(settings: Settings) -> Config:
    """Return the Alembic configuration pointing at this project's migrations and database."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", str(settings.database_url).replace("%", "%%"))
    return config


def cmd_migrate(args: argparse.Namespace) -> int:
    command.upgrade(alembic_config(get_settings()), args.revision)
    say(f"database migrated to {args.revision}")
    return 0


def cmd_seed(_args: argparse.Namespace) -> int:
    from seed.load import seed_all

    with session_scope(make_engine(get_settings())) as session:
        report = seed_all(session, progress=lambda line: say(f"  seed: {line}"))
    say(
        f"seed: {report.organizations} organizations, {report.provinces} provinces, {report.stations} stations added"
    )
    for bad in report.rejected:
        say(f"  rejected {bad.source} line {bad.line}: {bad.reason}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    say(f"serving the registry on http://{settings.host}:{settings.port}  (docs: /docs, map: /map)")
    uvicorn.run("api.main:create_app", factory=True, host=settings.host, port=settings.port,
                workers=args.workers or settings.workers, log_level=settings.log_level.lower(), access_log=False)  # fmt: skip
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    try:
        expires = datetime.fromisoformat(args.expires) if args.expires else None
    except ValueError:
        sys.stderr.write(
            f"hydromet: --expires '{args.expires}' is not an ISO date-time (e.g. 2027-01-31T00:00+07:00)\n"
        )
        return 2
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    with session_scope(make_engine(get_settings())) as session:
        created, secret = create_key(
            session, organization=args.org, role=Role(args.role), label=args.label, expires_at=expires
        )
    say(f"key {created.id} ({created.role} of {created.organization}); shown once, store it now:\n{secret}")
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Give a key a new secret (printed once); the old one works for --grace hours more."""
    with session_scope(make_engine(get_settings())) as session:
        old, new, secret = rotate_key(session, key_id=args.id, grace_s=args.grace * 3600)
    say(
        f"key {old.id} rotated: it works until {old.expires_at:%Y-%m-%dT%H:%M:%SZ}; its successor is key "
        f"{new.id} ({new.role} of {new.organization}); shown once, store it now:\n{secret}"
    )
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    with session_scope(make_engine(get_settings())) as session:
        revoked = (
            revoke_key(session, prefix=args.prefix) if args.prefix else revoke_key(session, key_id=args.id)
        )
    say(f"key {revoked.id} revoked")
    return 0


def _dev_key(role: Role, path: Path) -> int:
    """Print a development key of the national agency once, keeping it in a mode-600 file; reuse it while it works."""
    with session_scope(make_engine(get_settings())) as session:
        if path.exists():
            try:
                if authenticate(session, secret=path.read_text().strip()).role is role:
                    say(f"development {role} key: in {path} (Authorization: Bearer $(cat {path}))")
                    return 0
            except DomainError:
                pass
        _, secret = create_key(session, organization="NCHMF", role=role, label=f"development {role}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    os.chmod(path, 0o600)
    say(f"development {role} key (shown once, kept in {path}):\n  {secret}")
    return 0


def cmd_keys_dev_admin(_args: argparse.Namespace) -> int:
    """Print a development admin key once, keeping it in a mode-600 file; reuse it while it works."""
    return _dev_key(Role.admin, Path(get_settings().dev_admin_key_file))


def cmd_keys_dev_reviewer(_args: argparse.Namespace) -> int:
    """The same for a reviewer key of the national agency, kept next to the admin key (dev-reviewer-key)."""
    return _dev_key(Role.reviewer, Path(get_settings().dev_admin_key_file).with_name("dev-reviewer-key"))


def _pg_tool(name: str) -> str:
    candidate = Path("/usr/lib/postgresql/15/bin") / name
    return str(candidate) if candidate.exists() else name


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a compressed custom-format dump of the whole database (pg_dump -Fc)."""
    url = libpq_url(str(get_settings().database_url))
    subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={args.file}", url], check=True
    )
    say(f"backup written to {args.file} ({Path(args.file).stat().st_size} bytes)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a dump made by `hydromet backup` into the configured (empty or replaced) database."""
    url = libpq_url(str(get_settings().database_url))
    cmd = [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={url}"]
    if args.clean:
        cmd += ["--clean", "--if-exists"]
    subprocess.run([*cmd, args.file], check=True)
    say(f"restored {args.file}")
    return 0


def cmd_import_stations(args: argparse.Namespace) -> int:
    """Import a station list (CSV or GeoJSON) as the system admin, or as an editor of --org."""
    from domain.imports.rules import ImportRejected, Upload
    from domain.review.models import ChangeRequest
    from domain.review.submit import import_stations

    path = Path(args.file)
    if not path.is_file():
        sys.stderr.write(f"hydromet: no such file: {path}\n")
        return 2
    with session_scope(make_engine(get_settings())) as session:
        principal = SYSTEM
        if args.org:
            get_organization(session, code=args.org)
            principal = Principal(organization=args.org, role=Role.editor)
        upload = Upload(path.read_bytes(), None, path.name)
        try:
            report = import_stations(
                session,
                principal=principal,
                upload=upload,
                dry_run=args.dry_run,
                default_owner=args.owner,
                progress=lambda line: say(f"  import: {line}"),
            )
        except ImportRejected as exc:
            for error in exc.extra["errors"]:
                say(f"  line {error['line']}, {error['field']} '{error['value']}': {error['reason']}")
            say(f"import refused: {exc.detail}")
            return 1
    if isinstance(report, ChangeRequest):
        counts = report.report or {}
        say(f"{args.org} is under review: nothing written; change request {report.id} submitted "
            f"({counts.get('created')} created, {counts.get('updated')} updated once approved)")  # fmt: skip
        return 0
    done = "dry run, nothing written" if args.dry_run else "imported"
    say(f"{done}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged")
    return 0


def cmd_db_reorder(args: argparse.Namespace) -> int:
    """Rewrite the station table in spatial order (CLUSTER on its GiST index), then VACUUM ANALYZE it."""
    from domain.station.storage import reorder_stations

    engine = make_engine(get_settings(), pool_size=1, autocommit=True)
    say("reordering the station table (reads and writes of stations wait until it is done)")
    try:
        with Session(engine) as session:
            report = reorder_stations(session, lock_timeout_ms=round(args.lock_timeout * 1000))
    finally:
        engine.dispose()
    mib = 1024 * 1024
    say(f"reordered {report.stations} stations in {report.seconds:.1f} s: table "
        f"{report.table_bytes / mib:.0f} MiB, indexes {report.index_bytes / mib:.0f} MiB")  # fmt: skip
    return 0


def _key_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a key id (a UUID)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hydromet", description="National hydromet station registry")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the API").add_argument("--workers", type=int)
    sub.add_parser("migrate", help="apply database migrations").add_argument(
        "revision", nargs="?", default="head"
    )
    sub.add_parser("seed", help="load the seed data (idempotent)")
    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="create a key (printed once)")
    create.add_argument("--org", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--label")
    create.add_argument("--expires", help="ISO date-time")
    revoke = keys.add_parser("revoke", help="revoke a key by id or prefix")
    group = revoke.add_mutually_exclusive_group(required=True)
    group.add_argument("--id")
    group.add_argument("--prefix")
    rotate = keys.add_parser("rotate", help="give a key a new secret; the old one works for a grace period")
    rotate.add_argument("--id", required=True, type=_key_id)
    rotate.add_argument("--grace", type=float, default=24.0, help="hours the old key keeps working (<= 720)")
    keys.add_parser("dev-admin", help="print (once) and keep a development admin key")
    keys.add_parser("dev-reviewer", help="print (once) and keep a development reviewer key")
    sub.add_parser("backup", help="dump the database with pg_dump").add_argument("file")
    restore = sub.add_parser("restore", help="restore a dump with pg_restore (one transaction)")
    restore.add_argument("file")
    restore.add_argument("--clean", action="store_true", help="drop existing objects first")
    imports = sub.add_parser("import", help="bulk imports").add_subparsers(
        dest="import_command", required=True
    )
    stations = imports.add_parser("stations", help="import stations from CSV or GeoJSON, all or nothing")
    stations.add_argument("file")
    stations.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    stations.add_argument("--org", help="act as an editor of this organization (default: the system admin)")
    stations.add_argument("--owner", help="owner of new stations whose row names none")
    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    reorder = db.add_parser("reorder", help="store stations in spatial order (CLUSTER; the table is locked)")
    reorder.add_argument(
        "--lock-timeout", type=float, default=10.0, help="seconds to wait for the table lock before giving up"
    )
    return parser


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": cmd_serve, "migrate": cmd_migrate, "seed": cmd_seed,
    "keys create": cmd_keys_create, "keys revoke": cmd_keys_revoke, "keys rotate": cmd_keys_rotate,
    "keys dev-admin": cmd_keys_dev_admin, "keys dev-reviewer": cmd_keys_dev_reviewer,
    "backup": cmd_backup, "restore": cmd_restore, "import stations": cmd_import_stations,
    "db reorder": cmd_db_reorder,
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("HYDROMET_LOG_LEVEL", "INFO").upper(),
        format="%(levelname)s %(name)s: %(message)s",
    )
    args = build_parser().parse_args(argv)
    sub_command = next(
        (
            getattr(args, a)
            for a in ("keys_command", "import_command", "db_command")
            if getattr(args, a, None)
        ),
        None,
    )
    name = f"{args.command} {sub_command}" if sub_command else args.command
    # audited as done from the command line (the seed is not an admin action)
    token = set_actor(SYSTEM, label="cli") if args.command == "keys" else set_actor(None)
    try:
        return HANDLERS[name](args)
    except DomainError as exc:
        sys.stderr.write(f"hydromet: {exc.detail}\n")
        return 2
    finally:
        reset_actor(token)


if __name__ == "__main__":
    sys.exit(main())
