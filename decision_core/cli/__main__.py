"""``python -m decision_core.cli``: the same as ``decision-core``."""
from decision_core.cli.main import main

main()
