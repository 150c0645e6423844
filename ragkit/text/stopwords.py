"""The one English stopword list of ragkit: function words that say nothing of a text's topic.

Used by the answer layer's content words and the chunker's lexical cohesion (the union of their
two former lists). BM25 keeps Lucene's 33-word set, which measured better for it (see
ragkit/index/bm25.py: SciFact nDCG@10 0.6878 against 0.6872 with this list).
"""

STOPWORDS = frozenset(
    """
    a about above after again against all almost also although always am among an and another any
    anyone anything are aren around as at be became because become becomes been before being below
    between both but by can cannot could couldn d did didn do does doesn doing don done down during
    each either else enough etc even ever every few for from further get gets got had hadn has hasn
    have haven having he her here hers herself him himself his how however i if in into is isn it
    its itself just least less let like ll m made make many may me might more most much must my
    myself neither no nor not now of off often on once one only or other others otherwise our ours
    ourselves out over own per perhaps quite rather re really s same several shall she should
    shouldn since so some something still such t than that the their theirs them themselves then
    there therefore these they this those though through thus to too toward towards under until up
    upon us use used using ve very via was wasn we well were weren what whatever when whenever where
    whereas wherever whether which while who whoever whom whose why will with within without would
    wouldn yet you your yours yourself yourselves
    """.split()
)
