from rlkit.eval.protocols import EvalSetting, ProtocolResult, nonprior_context, offline_context, online_prior_context

__all__ = ["EvalSetting", "ProtocolResult", "nonprior_context", "offline_context", "online_prior_context"]
