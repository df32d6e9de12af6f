"""`--code` file for `spacy train`: registers the incident_brief architectures the configs reference."""

import incident_brief.nlp.subwords  # noqa: F401
