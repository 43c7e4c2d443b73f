"""Words for people, made from a result's structured data in the reader's language: the phrases the core
composes (:mod:`.phrases`: codes with parameters on the result, rendered from the message catalogues) and
answers and value labels in words (:mod:`.values`). Adapters read these; the core's CLI and interview do too.

May import: nothing else of decision_core (the bottom layer: the result and the evaluation name its codes).
"""
