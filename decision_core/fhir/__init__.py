"""FHIR R4 pieces the outputs and inputs share: code systems and extensions, doses as
FHIR timing, parties and observations, the programme as a CarePlan, triage as
DetectedIssue and ServiceRequest, and facts read out of FHIR resources.

May import: ``interview`` (the red-flag screen), ``lint``, ``i18n``,
``decision_core.installation`` and what they may import.
"""
