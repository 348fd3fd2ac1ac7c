"""Production mode on one machine: two Rasa servers and two action servers behind nginx.

    make production        (or: .venvs/actions/bin/python integrations/runtime/production.py)

What runs, all on 127.0.0.1 except nginx's public listener (PUBLIC_HOST, default 127.0.0.1):

* nginx (deploy/nginx.conf.template): the public port serves the demo page and the REST and
  socketio channels, round-robin over the Rasa servers (socketio sticky by client address); a
  loopback-only port in front of the action servers, and one in front of Rasa's HTTP API for
  the action servers' own parse calls;
* two Rasa servers sharing the PostgreSQL tracker store and a Redis lock store with atomic
  updates (integrations/rasa/lock_store.py; Rasa 3.6's own is not atomic);
* two action servers that refuse calls without the shared X-Action-Token
  (integrations/action_server.py), and two outbox dispatchers (safe together: leased claims);
* the lead store in PostgreSQL.

Settings (environment or .env): PRODUCTION_DATABASE_URL, PRODUCTION_TRACKER_DATABASE_URL,
PRODUCTION_REDIS_URL, PUBLIC_HOST, PUBLIC_PORT, ALLOWED_ORIGINS (the sites that embed the widget;
the public origin itself is always allowed), RASA_TOKEN, ACTION_SERVER_TOKEN. The same
pieces map onto Kubernetes with Rasa's Helm chart: docs/production.md.
"""

from __future__ import annotations

import os
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy.engine import URL, make_url

from integrations import settings
from integrations.rasa.origins import merge, parse_origins
from integrations.runtime.stack import MODEL, ROOT, Stack, StackConfig, sql_tracker_store, wait_until_ok

NGINX = Path("/usr/sbin/nginx")
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
LOCAL_POSTGRES = "postgresql+psycopg2://127.0.0.1:5432"


@dataclass
class ProductionConfig:
    public_host: str = "127.0.0.1"
    public_port: int = 8000
    rasa_ports: tuple[int, ...] = (5005, 5006)
    actions_ports: tuple[int, ...] = (5055, 5056)
    rasa_internal_port: int = 5004
    actions_lb_port: int = 5054
    web_port: int = 8080
    database_url: str = f"{LOCAL_POSTGRES}/leadbot"
    tracker_database_url: str = f"{LOCAL_POSTGRES}/leadbot_tracker"
    redis_url: str = "redis://127.0.0.1:6379/1"
    redis_key_prefix: str = "leadbot"
    rasa_token: str = ""
    action_token: str = ""
    state_dir: Path = ROOT / "var" / "production"
    model: Path = MODEL
    extra_env: dict[str, str] = field(default_factory=dict)
    # ALLOWED_ORIGINS: other sites whose pages embed the widget (the public origin is always allowed)
    site_origins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> ProductionConfig:
        defaults = cls()
        site_origins = parse_origins(settings.value("ALLOWED_ORIGINS"))  # OriginError (a ValueError) names a bad entry
        return cls(
            site_origins=site_origins,
            public_host=settings.value("PUBLIC_HOST"),
            public_port=settings.integer("PUBLIC_PORT"),
            database_url=settings.value("PRODUCTION_DATABASE_URL") or defaults.database_url,
            tracker_database_url=settings.value("PRODUCTION_TRACKER_DATABASE_URL") or defaults.tracker_database_url,
            redis_url=settings.value("PRODUCTION_REDIS_URL") or defaults.redis_url,
            rasa_token=settings.value("RASA_TOKEN"),
            action_token=settings.value("ACTION_SERVER_TOKEN"),
        )

    @property
    def public_url(self) -> str:
        host = "localhost" if self.public_host in ("127.0.0.1", "0.0.0.0") else self.public_host
        return f"http://{host}:{self.public_port}"

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The public origin (nginx serves the demo page there) and ALLOWED_ORIGINS, for Rasa and nginx."""
        public = (self.public_url, self.public_url.replace("localhost", "127.0.0.1"))
        return merge(public, self.site_origins)

    def tracker_store(self) -> dict[str, Any]:
        """endpoints.yml `tracker_store` for Rasa's SQLTrackerStore on this database."""
        return sql_tracker_store(self.tracker_database_url)

    def lock_store(self) -> dict[str, Any]:
        """endpoints.yml `lock_store` for the atomic Redis lock store."""
        url = make_url(self.redis_url.replace("redis://", "redis+x://", 1))  # SQLAlchemy's parser reads any URL
        store: dict[str, Any] = {
            "type": "integrations.rasa.lock_store.AtomicRedisLockStore",
            "url": url.host or "127.0.0.1",
            "port": url.port or 6379,
            "db": int(url.database or 1),
            "key_prefix": self.redis_key_prefix,
        }
        if url.password:
            store["password"] = url.password
        return store

    def node(self, index: int) -> StackConfig:
        """One Rasa server, its action server and its dispatcher."""
        tracker_url = make_url(self.tracker_database_url).set(drivername="postgresql+psycopg2")
        return StackConfig(
            rasa_port=self.rasa_ports[index],
            actions_port=self.actions_ports[index],
            web_port=self.web_port,
            rasa_token=self.rasa_token,
            action_token=self.action_token,
            database_url=self.database_url,
            outbox_log=self.state_dir / "outbox.log",
            state_dir=self.state_dir / f"node{index + 1}",
            model=self.model,
            action_endpoint_url=f"http://127.0.0.1:{self.actions_lb_port}/webhook",
            tracker_store=self.tracker_store(),
            lock_store=self.lock_store(),
            cors_origins=self.allowed_origins,
            extra_env={
                "RASA_URL": f"http://127.0.0.1:{self.rasa_internal_port}",
                "TRACKER_DB_URL": tracker_url.render_as_string(hide_password=False),
                "SANIC_PROXIES_COUNT": "1",  # the visitor's address comes from nginx's X-Forwarded-For
                # socket.io rooms shared by the Rasa servers: a rep's message reaches any visitor's socket
                "SOCKETIO_REDIS_URL": self.redis_url,
                "SOCKETIO_REDIS_CHANNEL": f"{self.redis_key_prefix}-socketio",
                **self.extra_env,
            },
        )


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it does not exist yet."""
    target = make_url(url)
    if not target.get_backend_name().startswith("postgresql"):
        raise ValueError(f"the production mode needs PostgreSQL, not {target.get_backend_name()}: {url}")
    server: URL = target.set(drivername="postgresql+psycopg2", database="postgres")
    engine = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).scalar()
            if not exists:
                connection.execute(sqlalchemy.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        engine.dispose()


def render_nginx_conf(config: ProductionConfig) -> Path:
    nginx_dir = config.state_dir / "nginx"
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (nginx_dir / "tmp" / temp).mkdir(parents=True, exist_ok=True)

    def servers(ports: tuple[int, ...]) -> str:
        return "\n        ".join(f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports)

    text = string.Template(TEMPLATE.read_text()).substitute(
        user_directive="user root;" if os.geteuid() == 0 else "",  # workers need the state directory
        state_dir=nginx_dir,
        public_host=config.public_host,
        public_port=config.public_port,
        rasa_internal_port=config.rasa_internal_port,
        actions_lb_port=config.actions_lb_port,
        web_port=config.web_port,
        rasa_servers=servers(config.rasa_ports),
        actions_servers=servers(config.actions_ports),
        allowed_origins="\n        ".join(f'"{origin}" 1;' for origin in config.allowed_origins),
    )
    path = nginx_dir / "nginx.conf"
    path.write_text(text)
    return path


class ProductionStack:
    """nginx, the demo page, and one node (Rasa, action server, dispatcher) per configured Rasa port."""

    def __init__(self, config: ProductionConfig, log_dir: Path | None = None) -> None:
        self.config = config
        self.log_dir = log_dir or config.state_dir / "logs"
        self.nodes = [
            Stack(config.node(index), log_dir=self.log_dir / f"node{index + 1}", web=False)
            for index in range(len(config.rasa_ports))
        ]
        self.front = Stack(config.node(0), log_dir=self.log_dir / "front", web=True)
        self.front.config.rasa_port = config.public_port  # the demo page talks to nginx

    @property
    def processes(self) -> dict[str, subprocess.Popen]:
        found = {f"front/{name}": process for name, process in self.front.processes.items()}
        for number, node in enumerate(self.nodes, start=1):
            found |= {f"node{number}/{name}": process for name, process in node.processes.items()}
        return found

    def restart(self, name: str) -> None:
        """Start one process again by its name in `processes` (for example `node2/rasa`, `front/nginx`)."""
        group, _, process = name.partition("/")
        stack = self.front if group == "front" else self.nodes[int(group.removeprefix("node")) - 1]
        stack.restart(process)

    def prepare(self) -> None:
        from integrations.store.migrate import upgrade

        if not NGINX.exists():
            raise RuntimeError("nginx is missing: run scripts/ensure_nginx.sh (make production does)")
        ensure_database(self.config.database_url)
        ensure_database(self.config.tracker_database_url)
        upgrade(self.config.database_url)

    def start(self, timeout: float = 300.0) -> ProductionStack:
        self.prepare()
        conf = render_nginx_conf(self.config)
        subprocess.run([str(NGINX), "-t", "-q", "-c", str(conf)], check=True)
        for node in self.nodes:
            node.start_actions()
            node.start_dispatcher()
            node.start_rasa()
        self.front.start_web()
        self.front._spawn("nginx", [str(NGINX), "-c", str(conf), "-g", "daemon off;"])
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            node.wait_ready(max(deadline - time.monotonic(), 1))
        self.wait_public(deadline)
        return self

    def wait_public(self, deadline: float) -> None:
        wait_until_ok(f"http://127.0.0.1:{self.config.public_port}/", max(deadline - time.monotonic(), 1))

    def stop_rasa(self, index: int) -> None:
        """Stop one Rasa server (graceful SIGTERM), as a crash or a rolling update would."""
        process = self.nodes[index].processes.pop("rasa")
        process.terminate()
        process.wait(timeout=30)

    def start_rasa(self, index: int, timeout: float = 180.0) -> None:
        node = self.nodes[index]
        node.start_rasa()
        node.wait_ready(timeout)

    def stop(self) -> None:
        self.front.stop()
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> ProductionStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main() -> None:
    from integrations.runtime.run import serve_until_interrupted

    try:
        config = ProductionConfig.from_env()
    except ValueError as error:  # e.g. an ALLOWED_ORIGINS entry that is not an origin
        sys.exit(f"error: {error} (in .env or the environment)")
    stack = ProductionStack(config)
    started = time.monotonic()
    print("==> starting nginx, 2 Rasa servers, 2 action servers and 2 dispatchers (about a minute)")
    try:
        stack.start()
    except (RuntimeError, TimeoutError, ValueError, sqlalchemy.exc.OperationalError) as error:
        stack.stop()
        sys.exit(f"error: {error}")
    print(f"\nReady in {time.monotonic() - started:.0f}s.\n")
    print(f"  Open the demo page:  {config.public_url}")
    print(f"  REST channel:        {config.public_url}/webhooks/rest/webhook")
    print(f"  Rasa servers:        {', '.join(f'127.0.0.1:{port}' for port in config.rasa_ports)}")
    print(f"  Action servers:      {', '.join(f'127.0.0.1:{port}' for port in config.actions_ports)} (loopback)")
    print(f"  Leads database:      {make_url(config.database_url).render_as_string()}")
    print(f"  Tracker database:    {make_url(config.tracker_database_url).render_as_string()}")
    print(f"  Lock store:          {config.redis_url}")
    print(f"  Logs:                {stack.log_dir}\n")
    serve_until_interrupted(lambda: stack.processes, stack.stop, stack.log_dir, stack.restart)


if __name__ == "__main__":
    main()
