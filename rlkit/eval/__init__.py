from rlkit.eval.evaluator import EvalResult, EvalStreams, Evaluator, make_job_envs
from rlkit.eval.protocols import EvalSetting, ProtocolResult, nonprior_context, offline_context, online_prior_context

__all__ = [
    "EvalResult",
    "EvalSetting",
    "EvalStreams",
    "Evaluator",
    "ProtocolResult",
    "nonprior_context",
    "offline_context",
    "make_job_envs",
    "online_prior_context",
]
