"""FHIR R4 pieces the outputs and inputs share: code systems and extensions, doses as
FHIR timing, parties and observations, the programme as a CarePlan, triage as
DetectedIssue and ServiceRequest, and facts read out of FHIR resources.

May import: ``catalogue``, ``interview``, and ``decision_core.intake``.
"""
