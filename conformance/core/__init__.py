"""The core every other part of the suite reads, and which reads nothing of theirs.

- ``catalogue``: the requirements (IDs as constants, levels, areas, texts);
- ``spec``: the shipped spec subset and what the suite knows of it (schemas, the run's status
  graph, the stream's events, rules written only in prose);
- ``observation``: what was seen of an HTTP exchange; ``findings``: what a check says of it;
- ``checks``: how a check is declared; ``recorder``: how checks are run and verdicts tallied;
- ``results``: the verdicts reports are rendered from; ``redaction``: secrets out of all of it;
- ``errors``: the suite's own exceptions.

Dependencies run one way: core <- streaming <- engine <- the CLI and the reports.
"""
