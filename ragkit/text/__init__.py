"""The one text toolkit of ragkit, below every layer that reads text: sentences with offsets
(`sentences.py`), the stopword list (`stopwords.py`) and the Snowball stemmer holder (`stem.py`).
The chunker, BM25, the extractive generator, the verifier and abstention all use these, so a chunk
is split into the same sentences wherever it is read."""
