"""The action server: rasa-sdk's server, refusing action calls that do not carry the shared token.

rasa-sdk has no authentication: anyone who reaches its port can run the bot's actions (store
leads, hand them to reps). Besides listening on loopback or a private network only, this server
requires the header `X-Action-Token: <ACTION_SERVER_TOKEN>` on every call of `/webhook`, and Rasa
sends it (endpoints.yml `action_endpoint.headers`, written by integrations/runtime/stack.py). `/health` stays
open for load balancers. Without ACTION_SERVER_TOKEN the server behaves exactly like rasa-sdk's.

    python -m integrations.action_server --actions bot.actions --port 5055
"""

from __future__ import annotations

import hmac
import logging

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from integrations import settings

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


def require_token(app: Sanic, token: str) -> None:
    """Answer 401 to every request but /health whose X-Action-Token is not `token`."""

    @app.on_request
    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "")
        if hmac.compare_digest(given.encode(), token.encode()):
            return None
        logger.warning("refused an action call without a valid %s from %s", TOKEN_HEADER, request.ip)
        return response.json({"error": f"missing or wrong {TOKEN_HEADER}"}, status=401)


def main() -> None:
    settings.load_env()
    args = create_argument_parser().parse_args()
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    app = create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    token = settings.value("ACTION_SERVER_TOKEN")
    if token:
        require_token(app, token)
    else:
        logger.warning("ACTION_SERVER_TOKEN is not set: the action server accepts calls from anyone who reaches it")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    host = settings.value("SANIC_HOST")
    logger.info(f"Action endpoint is up and running on http://{host}:{args.port}")
    app.run(host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
