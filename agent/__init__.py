"""The agent: the language (``understand``, ``llm``), the conversation (``graph``, ``nodes``, ``session``, ``reply``,
``recall``) and the room context (conditions, effects, goals, situations). The app shell that runs it (configuration,
runtime, service, command line, web app) is ``iotlm``'s own: ``iotlm.cli``, ``iotlm.web``, ``iotlm.service``."""
