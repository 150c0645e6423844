"""English function words left out of the lexical-cohesion signal (they say nothing of topic)."""

STOPWORDS = frozenset(
    """
    a about above after again against all also although am among an and another any are aren
    around as at be because been before being below between both but by can cannot could couldn
    did didn do does doesn doing don done down during each either else even ever every few for
    from further get gets got had hadn has hasn have haven having he her here hers herself him
    himself his how however i if in into is isn it its itself just least less let like made make
    many may me might more most much must my myself neither no nor not now of off often on once
    one only or other others otherwise our ours ourselves out over own per perhaps quite rather
    really same several shall she should shouldn since so some such than that the their theirs
    them themselves then there therefore these they this those though through thus to too toward
    towards under until up upon us use used using very via was wasn we well were weren what when
    where whereas whether which while who whom whose why will with within without would wouldn
    yet you your yours yourself yourselves
    """.split()
)
