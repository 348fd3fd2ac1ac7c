"""Start and stop the assistant's processes: Rasa server, action server, demo web page.

Used by `make run` / `make shell` (scripts/run.py) and by the end-to-end tests, so both
exercise exactly the same start-up.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests
import yaml

import integrations
from integrations import settings
from integrations.private_files import private_dir, private_file, write_private
from integrations.rasa.origins import demo_origins, parse_origins

ROOT = Path(__file__).resolve().parents[2]
# Where the environments' editable install points; differs from ROOT only for a copy of the project.
INSTALLED_ROOT = Path(integrations.__file__).resolve().parents[1]
RASA_BIN = ROOT / ".venvs" / "rasa" / "bin" / "rasa"
RASA_PYTHON = ROOT / ".venvs" / "rasa" / "bin" / "python"
# Rasa's own command line with our fix for its slowest hot path (integrations/rasa/server.py).
RASA_COMMAND = (str(RASA_PYTHON), "-m", "integrations.rasa.server")
ACTIONS_PYTHON = ROOT / ".venvs" / "actions" / "bin" / "python"
MODELS = ROOT / "models"
MODEL = MODELS / "leadbot.tar.gz"  # what `make train` writes; the tests and the production mode use it
ACTION_TOKEN_HEADER = "X-Action-Token"  # checked by integrations/action_server.py


@dataclass
class StackConfig:
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8080
    rasa_token: str = ""
    action_token: str = ""
    database_url: str = f"sqlite:///{ROOT / 'var' / 'leads.db'}"
    tracker_db: Path = ROOT / "var" / "tracker.db"
    outbox_log: Path = ROOT / "var" / "outbox.log"
    state_dir: Path = ROOT / "var"
    model: Path = MODEL
    extra_env: dict[str, str] = field(default_factory=dict)
    # Production mode (integrations/runtime/production.py) overrides these; empty means the local defaults.
    action_endpoint_url: str = ""
    tracker_store: dict[str, Any] = field(default_factory=dict)
    lock_store: dict[str, Any] = field(default_factory=dict)
    # ALLOWED_ORIGINS: pages that may use the chat (Rasa's CORS, the socketio origin check); () = the demo page
    cors_origins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> StackConfig:
        cors_origins = parse_origins(settings.value("ALLOWED_ORIGINS"))  # OriginError (a ValueError) names a bad entry
        return cls(
            rasa_port=settings.integer("RASA_PORT"),
            actions_port=settings.integer("ACTIONS_PORT"),
            web_port=settings.integer("WEB_PORT"),
            rasa_token=settings.value("RASA_TOKEN"),
            action_token=settings.value("ACTION_SERVER_TOKEN"),
            database_url=settings.sqlite_absolute(settings.value("DATABASE_URL")),
            outbox_log=settings.path("OUTBOX_LOG"),
            cors_origins=cors_origins,
            model=newest_model(),
        )

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def web_url(self) -> str:
        return f"http://localhost:{self.web_port}"

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """Origins whose pages may talk to Rasa from a browser (CORS and the socketio channel's origin check)."""
        return self.cors_origins or demo_origins(self.web_port)


def newest_model(models: Path = MODELS) -> Path:
    """The model `rasa shell` or `rasa run` would pick: the newest .tar.gz in models/ (Rasa's get_latest_model
    compares the files' ctime too), so a model from plain `rasa train` is used once it is the newest."""
    trained = [path for path in models.glob("*.tar.gz") if path.is_file()]
    return max(trained, key=lambda path: path.stat().st_ctime) if trained else MODEL


def sql_tracker_store(url: str) -> dict[str, Any]:
    """endpoints.yml `tracker_store` for Rasa's SQLTrackerStore on the database of a SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    target = make_url(url)
    store: dict[str, Any] = {"type": "SQL", "dialect": target.get_backend_name()}
    store.update(url=target.host, db=target.database)
    for key, value in (("port", target.port), ("username", target.username), ("password", target.password)):
        if value is not None:
            store[key] = value
    return store


def write_endpoints(config: StackConfig) -> Path:
    """endpoints.yml with this stack's action server port and token, and tracker database."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = (
        config.action_endpoint_url or f"http://127.0.0.1:{config.actions_port}/webhook"
    )
    # the root file's ${ACTION_SERVER_TOKEN} is for Rasa's own commands; this stack writes its token itself
    endpoints["action_endpoint"].pop("headers", None)
    if config.action_token:
        endpoints["action_endpoint"]["headers"] = {ACTION_TOKEN_HEADER: config.action_token}
    if config.tracker_store:
        endpoints["tracker_store"] = dict(config.tracker_store)
    tracker = endpoints.get("tracker_store") or {}
    if tracker.get("dialect") == "sqlite":
        tracker["db"] = str(config.tracker_db)
    if config.lock_store:
        endpoints["lock_store"] = dict(config.lock_store)
    private_dir(config.state_dir)
    if tracker.get("dialect") == "sqlite":
        private_file(config.tracker_db)  # before Rasa creates it with its own umask
    return write_private(config.state_dir / "endpoints.yml", yaml.safe_dump(endpoints, sort_keys=False))


def wait_until_ok(url: str, timeout: float, interval: float = 0.5) -> None:
    """Poll `url` until it answers 2xx; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(interval)
    raise TimeoutError(f"no answer from {url} after {timeout:.0f}s")


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to stop a child if the process that started it dies without cleaning up."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def start_child() -> None:
    """In each child before it runs: die with the parent, and create files for the owner only (umask 077)."""
    die_with_parent()
    os.umask(0o077)


class Stack:
    """The three processes; a context manager that always stops what it started."""

    def __init__(self, config: StackConfig, log_dir: Path | None = None, web: bool = True) -> None:
        self.config = config
        self.log_dir = log_dir or config.state_dir / "logs"
        self.web = web
        self.processes: dict[str, subprocess.Popen] = {}
        self.commands: dict[str, list[str]] = {}
        self._logs: list[IO] = []

    @staticmethod
    def base_env() -> dict[str, str]:
        """Environment for any process of the project: quiet, and importing this checkout's code."""
        env = dict(os.environ)
        if ROOT != INSTALLED_ROOT:  # a copy of the project run with another checkout's environments (tests/marketer)
            env["PYTHONPATH"] = str(ROOT)
        env.update(
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            TF_CPP_MIN_LOG_LEVEL="3",
            PYTHONWARNINGS="ignore::DeprecationWarning",  # Rasa 3.6's dependencies; our own code warns in tests
            TQDM_DISABLE="1",
        )
        return env

    def env(self) -> dict[str, str]:
        env = self.base_env()
        env.update(
            DATABASE_URL=self.config.database_url,
            OUTBOX_LOG=str(self.config.outbox_log),
            RASA_PORT=str(self.config.rasa_port),
            RASA_TOKEN=self.config.rasa_token,
            ACTION_SERVER_TOKEN=self.config.action_token,
            LEAD_SPOOL=str(self.config.state_dir / "lead-spool.jsonl"),
            SANIC_HOST="127.0.0.1",  # the action server listens on loopback only
            ALLOWED_ORIGINS=",".join(self.config.allowed_origins),  # read by the socketio channel
        )
        if (self.config.tracker_store or {}).get("dialect", "sqlite") == "sqlite":
            env["TRACKER_DB_URL"] = f"sqlite:///{self.config.tracker_db}"  # read by consent redaction, transcripts
        env.update(self.config.extra_env)
        return env

    def _spawn(self, name: str, command: list[str], append_log: bool = False) -> None:
        log = open(private_file(self.log_dir / f"{name}.log"), "a" if append_log else "w")
        self._logs.append(log)
        self.commands[name] = command
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=start_child,
        )

    def actions_command(self) -> list[str]:
        """rasa-sdk's server (with the token check) on the actions package, as `rasa run actions` would run it."""
        return [
            str(ACTIONS_PYTHON),
            "-m",
            "integrations.action_server",
            "--actions",
            "bot.actions",
            "--port",
            str(self.config.actions_port),
        ]

    def start_actions(self) -> None:
        self.check_settings()  # first of every start, `make run`'s and `make production`'s alike
        self._spawn("actions", self.actions_command())

    def start_rasa(self) -> None:
        endpoints = write_endpoints(self.config)
        command = [
            *RASA_COMMAND, "run", "--enable-api", "--model", str(self.config.model),
            "--port", str(self.config.rasa_port), "--interface", "127.0.0.1",
            "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(endpoints),
            "--cors", *self.config.allowed_origins,
        ]  # fmt: skip
        if self.config.rasa_token:
            command.append(f"--auth-token={self.config.rasa_token}")
        self._spawn("rasa", command)

    def start_web(self) -> None:
        self._spawn(
            "web",
            [str(ACTIONS_PYTHON), "-m", "integrations.web.server", "--port", str(self.config.web_port),
             "--rasa-url", f"http://localhost:{self.config.rasa_port}"],
        )  # fmt: skip

    def start_dispatcher(self) -> None:
        self._spawn("dispatcher", [str(ACTIONS_PYTHON), "-m", "integrations.outbox.worker"])

    def restart(self, name: str) -> None:
        """Start process `name` again with the command it was started with; its log goes on (the crash stays in it)."""
        old = self.processes.get(name)
        if old is not None and old.poll() is None:
            os.killpg(old.pid, signal.SIGTERM)
            old.wait(timeout=15)
        self._spawn(name, self.commands[name], append_log=True)

    def check_settings(self) -> None:
        """Refuse to start with settings that would fail every delivery (RuntimeError, with how to fix them)."""
        from integrations.outbox.channels.webhook import secret_bytes

        secret = self.env().get("WEBHOOK_SECRET", "").strip()
        if secret:
            try:
                secret_bytes(secret)
            except ValueError as error:
                raise RuntimeError(f"WEBHOOK_SECRET in .env {error}") from None

    def start(self, timeout: float = 240.0) -> Stack:
        self.start_actions()
        self.start_dispatcher()
        self.start_rasa()
        if self.web:
            self.start_web()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        checks = {"actions": f"{self.config.actions_url}/health", "rasa": f"{self.config.rasa_url}/"}
        if self.web:
            checks["web"] = f"http://127.0.0.1:{self.config.web_port}/"
        deadline = time.monotonic() + timeout
        pending = dict(checks)
        while pending:
            for name, url in list(pending.items()):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; see {self.log_dir / name}.log")
                try:
                    if requests.get(url, timeout=2).status_code == 200:
                        pending.pop(name)
                except requests.RequestException:
                    pass
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(pending)}")
            if pending:
                time.sleep(0.5)
        self._wait_model_loaded(deadline)

    def _wait_model_loaded(self, deadline: float) -> None:
        params = {"token": self.config.rasa_token} if self.config.rasa_token else {}
        while time.monotonic() < deadline:
            try:
                status = requests.get(f"{self.config.rasa_url}/status", params=params, timeout=2)
                if status.ok and status.json().get("model_file"):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError("Rasa did not load the model in time")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self._logs:
            log.close()
        self.processes.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
