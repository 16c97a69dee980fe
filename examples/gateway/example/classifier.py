"""An example data-class classifier for the gateway.

    --classifier examples/gateway/example/classifier.py:classify

Given the request body, it names a class of the keys file's
``data_classes``, or returns None when it cannot tell. It can only raise a
request's class: the gateway applies the highest of the key's floor, this
result and the class the client claims. An exception, or a class the keys
file does not list, makes the gateway refuse the request (500
``classifier_failed``); nothing is routed.

Keyword rules like these stand in for a real classifier (a DLP service, a
small model). Whatever is plugged in must not change the body; a plain
function runs in a worker thread, an ``async def`` one on the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Optional

HEALTH = re.compile(r"\b(patients?|diagnos[a-z]*|prescri[a-z]*|ICD-10)\b", re.IGNORECASE)
PERSONAL = re.compile(r"\b\d{3}-\d{2}-\d{4}\b|[\w.+-]+@[\w-]+\.[\w.-]+")  # a US SSN, an e-mail address


def texts(body: dict[str, Any]) -> Iterator[str]:
    """The text of every message: string contents and the text parts of lists."""
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            yield content
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    yield part["text"]


def classify(body: dict[str, Any]) -> Optional[str]:
    """``phi`` for health terms, ``pii`` for an SSN or an e-mail address, else None."""
    text = "\n".join(texts(body))
    if HEALTH.search(text):
        return "phi"
    if PERSONAL.search(text):
        return "pii"
    return None
