"""One evaluation, end to end: causes scored from what fired, the programme built under
the policy's verdict, the patient's few dosed exercises chosen, the next questions planned.

May import: ``catalogue``, ``engine``, ``policy``, ``result``, and ``decision_core.intake``.
"""
