from ragkit.config.loader import RagkitConfig, load_config, redacted

__all__ = ["RagkitConfig", "load_config", "redacted"]
