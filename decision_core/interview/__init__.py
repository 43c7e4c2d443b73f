"""The interview: the red-flag screen, which question to ask next and when to stop, the
intake as a FHIR Questionnaire (SDC), reading a QuestionnaireResponse back, and the
adaptive ``$next-question``.

May import: ``i18n``, ``decision_core.installation`` and what they may import. Not
``lint``, ``scenarios`` or ``fhir``.
"""
