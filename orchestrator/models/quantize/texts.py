"""Held-out texts for checking reduced-precision files: disjoint from the verify probes.

HELD_OUT_TEXTS are only ever embedded, to measure the cosine a quantised file reaches against the
fp32 file of its runtime: a second figure beside the probes' (reference/probes.json), on texts
nothing was chosen or tuned on. quantize_model.py checks at every build that no probe is among them.
Like the probes they mix lengths, languages, symbols and a text past the max length.
"""

from __future__ import annotations

HELD_OUT_TEXTS = [
    "Semantic search finds passages that answer a question even when they share no words with it.",
    "Where can I find the nearest pharmacy that is open on Sunday?",
    "yes",
    "The library extends its opening hours during the examination period.",
    "Volcanic eruptions can lower global temperatures for a year or two.",
    "Der Zug hatte wegen eines Signalfehlers zwanzig Minuten Verspätung.",
    "Le chat dort sur le canapé depuis ce matin.",
    "¿Cuánto cuesta un billete de ida y vuelta a Madrid?",
    "猫は日当たりの良い窓辺で眠っている。",
    "我们明天早上八点在火车站见面。",
    "Сегодня вечером будет сильный дождь.",
    "Temperature: minus 5 °C ± 0.5, humidity 80 % — wear a coat ☂️",
    "🐍 + 🦀 = ❤️",
    "Reset the router, wait one minute, then reconnect every device.",
    " ".join(["Held-out texts past the maximum length check truncation under quantisation too."] * 40),
    "The committee approved the budget after a long debate about priorities.",
    "How long should I boil an egg for a soft yolk?",
    "A neural network learns weights that minimise the loss on its training data.",
    "tab\tseparated\tvalues\tin\tone\tline",
    "z",
]
