"""Code that runs inside the Rasa process (the `.venvs/rasa` environment).

Channels (REST, socketio) with their guards, the NLU component that gates global intents, the atomic
Redis lock store and the patched `rasa run` entry point. These modules import only Rasa, the standard
library, integrations.settings and each other, never the action server's code, because the two
environments have different packages (docs/architecture.md).
"""
