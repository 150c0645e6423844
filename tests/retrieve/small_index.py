"""The small corpus of the retriever tests (indexed once per session by conftest.py), its query,
and the cross-encoders they use: the shared SciFact one, and a hub id no cache holds."""

from __future__ import annotations

from ragkit.evals.beir import shared_dir

SCIFACT_CE = shared_dir() / "models" / "scifact-minilm-ce"
MISSING_HUB_ID = "ragkit-tests/no-such-cross-encoder"  # in no Hugging Face cache

# 16 one-topic documents: more chunks than the default retrieval.top_k (10)
DOCS = {
    "aspirin.txt": "Aspirin inhibits platelet aggregation by acetylating cyclooxygenase.",
    "statins.txt": "Statins lower LDL cholesterol by inhibiting HMG-CoA reductase in the liver.",
    "insulin.txt": "Insulin lets muscle and fat cells take up glucose from the blood.",
    "vitamin_d.txt": "Vitamin D deficiency is linked to weaker bones and more fractures in older adults.",
    "stem_cells.txt": "Stem cells can differentiate into many cell types and renew themselves.",
    "antibiotics.txt": "Overuse of antibiotics selects for resistant bacteria in hospitals.",
    "sleep.txt": "Short sleep is associated with higher blood pressure in middle-aged adults.",
    "coffee.txt": "Moderate coffee drinking is not associated with a higher risk of heart disease.",
    "smoking.txt": "Smoking damages the airways and is the main cause of lung cancer.",
    "exercise.txt": "Regular aerobic exercise lowers resting heart rate and blood pressure.",
    "vaccines.txt": "Measles vaccination gives long-lasting immunity after two doses.",
    "gut.txt": "The gut microbiome influences how the immune system responds to infection.",
    "paris.txt": "Paris is the capital of France and the Seine flows through the city.",
    "volcano.txt": "Volcanoes erupt molten rock that cools into basalt.",
    "bread.txt": "Bread dough rises because yeast ferments sugar into carbon dioxide.",
    "chess.txt": "In chess the queen moves any number of squares in a straight line.",
}
QUERY = "Does aspirin reduce platelet aggregation?"
