"""incident-brief: multilingual news coverage of security incidents, turned into evidence-bound briefs."""

__version__ = "0.1.0"
