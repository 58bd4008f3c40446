"""The environments and adapters: the Gymnasium env (`env`), the native vector env
(`vector_env`), the SB3 VecEnv (`sb3`), the rendered page (`rendering`) and the one
rollout loop (`rollout`).
"""
