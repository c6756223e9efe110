"""The language-model tier: backends, grammar, planner."""

from iotlm.agent.llm.backend import Completion, HTTPModel, LocalModel, Model, ModelUnavailable, default_model_path
from iotlm.agent.llm.planner import LLMPlanner, PlanResult

__all__ = ["Completion", "HTTPModel", "LLMPlanner", "LocalModel", "Model", "ModelUnavailable", "PlanResult",
           "default_model_path"]
