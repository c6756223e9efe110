"""The language-model tier: backends, grammar, planner."""

from agent.llm.backend import Completion, HTTPModel, LocalModel, Model, ModelUnavailable, default_model_path
from agent.llm.planner import LLMPlanner, PlanResult

__all__ = ["Completion", "HTTPModel", "LLMPlanner", "LocalModel", "Model", "ModelUnavailable", "PlanResult",
           "default_model_path"]
