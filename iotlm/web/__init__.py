"""The local web app and HTTP API (``iotlm run`` serves them on 127.0.0.1:8321): ``server.WebServer``.

Nothing heavy is imported here, so the CLI can name the defaults without loading FastAPI.
"""

DEFAULT_BIND = "127.0.0.1:8321"


__all__ = ["DEFAULT_BIND"]
