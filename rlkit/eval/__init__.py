from rlkit.eval.protocols import EvalSetting, nonprior_context, offline_context, online_prior_context

__all__ = ["EvalSetting", "nonprior_context", "offline_context", "online_prior_context"]
