"""The kiosk's content: procedures, life events (with yes/no questions and selection rules),
certificate types, consultation topics and slots, survey reasons, all in seven languages.

`default_catalog()` loads the one shipped in this package; `load_catalog(bytes)` loads a verified
downlink bundle's payload. `select_procedures(event, answers)` is the pure rules engine.
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
    Catalog,
    CertificateType,
    Choice,
    Completion,
    CompletionKind,
    ConsultationTopic,
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
from kiosk.catalog.errors import (
    CatalogError,
    CatalogReferenceError,
    CatalogSchemaError,
    UnknownLifeEventError,
)
from kiosk.catalog.rules import due_date, rule_matches, select_procedures

__all__ = [
    "CARD_ITEMS",
    "FORMAT",
    "Catalog",
    "CatalogError",
    "CatalogReferenceError",
    "CatalogSchemaError",
    "CertificateType",
    "Choice",
    "Completion",
    "CompletionKind",
    "ConsultationTopic",
    "FieldKind",
    "FieldSource",
    "FieldSpec",
    "LifeEvent",
    "Procedure",
    "ProcedureDetail",
    "Question",
    "Rule",
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
]
