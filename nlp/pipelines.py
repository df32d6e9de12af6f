"""Per-language spaCy pipelines, assembled from the configured model and our registered components."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from spacy.language import Language

from incident_brief import __version__
from incident_brief.config import NlpSettings
from incident_brief.models.registry import ModelSpec, load_spacy, resolve

# Our components, in pipeline order after the model's own (module, factory name).
COMPONENTS = (
    ("labels", "incident_ner_labels"),
    ("security", "incident_security_entities"),
    ("actors", "incident_actor_linker"),
    ("names", "incident_person_names"),  # people where no NER model reads the language
    ("canonical", "incident_canonicalizer"),
    ("roles", "incident_roles"),
    ("quotes", "incident_quotes"),
    ("requirements", "incident_requirements"),  # after quotes: a quote's speaker is the requester
    ("dates", "incident_dates"),
    ("money", "incident_money"),  # after dates: numbers inside dates are not amounts
)
CATALOG_COMPONENTS = ("incident_security_entities", "incident_actor_linker", "incident_requirements")
# Bump when a component's output changes, so stored analyses are redone.
COMPONENTS_VERSION = "4"  # 4: people and quotes in languages without an NER model (fr)


@dataclass
class LanguagePipeline:
    language: str
    spec: ModelSpec
    nlp: Language

    @property
    def version(self) -> str:
        meta = self.nlp.meta
        model = (
            f"{meta.get('lang')}_{meta.get('name')}-{meta.get('version')}"
            if self.spec.kind != "blank"
            else "blank"
        )
        return f"{self.language}={self.spec.name}:{model}"

    @property
    def note(self) -> str | None:
        if self.spec.kind == "blank":
            return f"no NER model for '{self.language}': only gazetteer and pattern entities"
        return None


class PipelineSet:
    """Loads each language's pipeline on first use and keeps it for the life of the object."""

    def __init__(self, settings: NlpSettings) -> None:
        self.settings = settings
        self._loaded: dict[str, LanguagePipeline] = {}

    def model_name(self, language: str) -> str:
        return {"en": self.settings.en_model, "de": self.settings.de_model}.get(
            language, self.settings.other_model
        )

    def get(self, language: str) -> LanguagePipeline:
        if language not in self._loaded:
            self._loaded[language] = build_pipeline(
                language,
                resolve(self.model_name(language)),
                self.settings.catalog_dir,
                learned_requirements=self.settings.learned_requirements,
            )
        return self._loaded[language]

    @property
    def fingerprint(self) -> str:
        """Identifies the configured pipelines without loading them: stored with each analysis, so a
        model or component change makes `brief analyze` redo the articles."""
        models = f"en={self.settings.en_model},de={self.settings.de_model},other={self.settings.other_model}"
        catalog = f"|catalog={self.settings.catalog_dir}" if self.settings.catalog_dir else ""
        rules = "" if self.settings.learned_requirements else "|requirements=rules"
        return f"incident-brief-{__version__}|components-{COMPONENTS_VERSION}|{models}{catalog}{rules}"

    def version(self, languages: list[str]) -> str:
        parts = [f"incident-brief-{__version__}", f"components-{COMPONENTS_VERSION}"]
        parts += [self.get(language).version for language in sorted(set(languages))]
        return "|".join(parts)


def build_pipeline(
    language: str, spec: ModelSpec, catalog_dir: str = "", *, learned_requirements: bool = True
) -> LanguagePipeline:
    for module, _factory in COMPONENTS:
        importlib.import_module(f"incident_brief.nlp.{module}")
    nlp = load_spacy(spec, language)
    if spec.kind == "transformers":
        importlib.import_module("incident_brief.nlp.hf_ner")
        nlp.add_pipe("incident_hf_ner", config={"model": spec.location})
    if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
        nlp.add_pipe("sentencizer", first=True)
    for _module, factory in COMPONENTS:
        config = {"catalog": catalog_dir} if catalog_dir and factory in CATALOG_COMPONENTS else {}
        if factory == "incident_requirements":
            config["learned"] = learned_requirements
        nlp.add_pipe(factory, config=config)
    return LanguagePipeline(language, spec, nlp)
