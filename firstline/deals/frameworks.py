"""The qualification frameworks every installation starts with; admins may add their own."""

MEDDICC = [
    {"key": "metrics", "label": "Metrics", "question": "Which measurable gain does the customer expect?"},
    {
        "key": "economic_buyer",
        "label": "Economic buyer",
        "question": "Who can say yes to the money, and have we met?",
    },
    {
        "key": "decision_criteria",
        "label": "Decision criteria",
        "question": "How will they judge the options?",
    },
    {
        "key": "decision_process",
        "label": "Decision process",
        "question": "Which steps, people and dates lead to a signature?",
    },
    {"key": "identify_pain", "label": "Identify pain", "question": "What hurts enough to act now?"},
    {"key": "champion", "label": "Champion", "question": "Who sells for us when we are not in the room?"},
    {"key": "competition", "label": "Competition", "question": "Who else is in, including doing nothing?"},
]
PAPER_PROCESS = {
    "key": "paper_process",
    "label": "Paper process",
    "question": "What do legal, procurement and security need, and how long do they take?",
}
MEDDPICC = [*MEDDICC[:4], PAPER_PROCESS, *MEDDICC[4:]]
BANT = [
    {"key": "budget", "label": "Budget", "question": "Is money set aside?"},
    {"key": "authority", "label": "Authority", "question": "Who decides?"},
    {"key": "need", "label": "Need", "question": "What problem do we solve?"},
    {"key": "timing", "label": "Timing", "question": "When must it be solved?"},
]
FRAMEWORKS = (("MEDDICC", MEDDICC, True), ("MEDDPICC", MEDDPICC, False), ("BANT", BANT, False))
