"""Words for people, made from a result's structured data in the reader's language: the phrases the core
composes (:mod:`.phrases`: codes with parameters on the result, rendered from the message catalogues) and
a result in words (:mod:`.words`). Adapters read these; the core's CLI and interview do too."""
