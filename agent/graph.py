"""The agent graph: understand -> (retrieve -> plan) -> validate -> confirm -> execute -> respond -> remember."""

from __future__ import annotations

from functools import partial
from typing import Any

from langgraph.graph import END, START, StateGraph

from iotlm.agent import nodes
from iotlm.agent.nodes import Deps
from iotlm.agent.state import AgentState, TurnInput


def build_graph(deps: Deps, checkpointer: Any = None) -> Any:
    """Compile the graph for these parts; nothing is compiled at import."""
    graph = StateGraph(AgentState, input_schema=TurnInput)
    graph.add_node("understand", partial(nodes.understand, deps=deps))
    graph.add_node("retrieve", partial(nodes.retrieve, deps=deps))
    graph.add_node("plan", partial(nodes.plan, deps=deps))
    graph.add_node("validate", partial(nodes.validate, deps=deps))
    graph.add_node("confirm", partial(nodes.confirm, deps=deps))
    graph.add_node("execute", partial(nodes.execute, deps=deps))
    graph.add_node("respond", partial(nodes.respond, deps=deps))
    graph.add_node("remember", partial(nodes.remember, deps=deps))
    graph.add_edge(START, "understand")
    graph.add_conditional_edges("understand", nodes.route_understood)
    graph.add_edge("retrieve", "plan")
    graph.add_edge("plan", "validate")
    graph.add_edge("validate", "confirm")
    graph.add_conditional_edges("confirm", nodes.route_confirmed)
    graph.add_edge("execute", "respond")
    graph.add_edge("respond", "remember")
    graph.add_edge("remember", END)
    return graph.compile(checkpointer=checkpointer)


__all__ = ["build_graph"]
