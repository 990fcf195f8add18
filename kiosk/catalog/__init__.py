"""The kiosk's content: procedures, life events (with yes/no questions and selection rules),
certificate types, consultation topics and slots, survey reasons, FAQ answers and the synonyms
residents search with, all in seven languages.

`default_catalog()` loads the one shipped in this package; `load_catalog(bytes)` loads a verified
downlink bundle's payload. `select_procedures(event, answers)` is the pure rules engine; `SearchIndex(catalog).search(q)`
is さがす, the offline search over all of it.
No Kivy, no I/O at import.
"""

from kiosk.catalog._loader import (
    FORMAT,
    catalog_from_bundle,
    current_catalog,
    default_catalog,
    load_catalog,
    parse_catalog,
)
from kiosk.catalog._model import (
    CARD_ITEMS,
    SEARCH_KINDS,
    Catalog,
    CertificateType,
    Choice,
    Completion,
    CompletionKind,
    ConsultationTopic,
    Faq,
    FieldKind,
    FieldSource,
    FieldSpec,
    LifeEvent,
    Procedure,
    ProcedureDetail,
    Question,
    Rule,
    Slot,
    SurveyReason,
    Text,
)
from kiosk.catalog._search import MAX_QUERY, SearchHit, SearchIndex
from kiosk.catalog.errors import (
    CatalogError,
    CatalogReferenceError,
    CatalogSchemaError,
    UnknownLifeEventError,
)
from kiosk.catalog.rules import due_date, rule_matches, select_procedures, unsure_procedures

__all__ = [
    "CARD_ITEMS",
    "FORMAT",
    "MAX_QUERY",
    "SEARCH_KINDS",
    "Catalog",
    "CatalogError",
    "CatalogReferenceError",
    "CatalogSchemaError",
    "CertificateType",
    "Choice",
    "Completion",
    "CompletionKind",
    "ConsultationTopic",
    "Faq",
    "FieldKind",
    "FieldSource",
    "FieldSpec",
    "LifeEvent",
    "Procedure",
    "ProcedureDetail",
    "Question",
    "Rule",
    "SearchHit",
    "SearchIndex",
    "Slot",
    "SurveyReason",
    "Text",
    "UnknownLifeEventError",
    "catalog_from_bundle",
    "current_catalog",
    "default_catalog",
    "due_date",
    "load_catalog",
    "parse_catalog",
    "rule_matches",
    "select_procedures",
    "unsure_procedures",
]
