"""Local inference: the llama.cpp engine, chat formats, model manifests and model files.

``engine.llama`` is the only module in the product that imports ``llama_cpp``.
"""
