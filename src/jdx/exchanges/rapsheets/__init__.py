"""Interstate criminal history: rap sheets, merge processing, summary and delivery (seed 002).

The hub plays the part the seed gives NLETS. This package holds the rules and nothing about
transport: the model (:mod:`.model`), the transmission format 2.00 (:mod:`.transmission`), the
Nlets 4.1 reader (:mod:`.nlets41`), FBI/III notifications (:mod:`.notification`), the content
merge (:mod:`.merge`), the summary (:mod:`.summary`) and the presentation (:mod:`.present`).
"""
