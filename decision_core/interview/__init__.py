"""The interview: the red-flag screen, which question to ask next and when to stop, the
intake as a FHIR Questionnaire (SDC), reading a QuestionnaireResponse back, and the
adaptive ``$next-question``.

May import: ``catalogue``, ``result``, ``i18n``, and ``decision_core.intake``.
"""
