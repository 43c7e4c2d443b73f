"""Running rules: the catalogue compiled into engine-neutral rules (``compiler``) and the
engines that fire them over one encoded case (``protocol``: what an engine is; ``engines``
chooses; ``durable``, ``plain``, ``shards``).

Knows nothing of hamstrings or of the safety policy. May import: ``catalogue``.
"""
