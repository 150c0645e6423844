"""Conversation mode on POST /v1/chat: a follow-up is answered in the same session, the history
comes back after a reload, "New conversation" deletes the session. Skips while the server has no
/v1/chat (the page then hides the mode: tests/ui/test_page.py checks that)."""

from __future__ import annotations

import httpx
import pytest

from tests.ui.conftest import KEY
from tests.ui.test_page import QUESTION, _by, _wait

pytestmark = pytest.mark.integration
FOLLOW_UP = "Which environment variable sets its URL?"


def test_conversation_history_and_reset(served, browser):
    from selenium.webdriver.common.keys import Keys

    with httpx.Client(base_url=served.base) as c:
        if "/v1/chat" not in c.get("/openapi.json").json()["paths"]:
            pytest.skip("this server has no POST /v1/chat yet (ragkit/serve/routes_chat.py)")
    d = browser
    d.get(served.base + "/")
    d.execute_script("sessionStorage.setItem('ragkit.apiKey', arguments[0]); "
                     "sessionStorage.removeItem('ragkit.chatSession')", KEY)
    d.get(served.base + "/")
    _wait(d, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    toggle = d.find_element(*_by("#chat-mode"))
    assert toggle.is_displayed()
    toggle.send_keys(Keys.SPACE)  # keyboard
    assert toggle.is_selected()
    q = d.find_element(*_by("#question"))
    for i, text in enumerate((QUESTION, FOLLOW_UP), 1):
        q.send_keys(text, Keys.ENTER)
        _wait(d, lambda d: len(d.find_elements(*_by("#turns .turn .meta div"))) >= 4 * i and
              d.find_element(*_by("#ask-submit")).is_enabled())
    sid = d.execute_script("return sessionStorage.getItem('ragkit.chatSession')")
    with served.client(KEY) as c:
        turns = c.get(f"/v1/chat/sessions/{sid}").json()["turns"]
    assert [t["question"] for t in turns] == [QUESTION, FOLLOW_UP]
    if turns[1]["standalone"] != FOLLOW_UP:
        assert turns[1]["standalone"] in d.find_element(*_by("#turns .turn .standalone")).text

    d.refresh()  # the history comes back from the session
    _wait(d, lambda d: len(d.find_elements(*_by("#turns .turn"))) == 2)
    assert [e.text for e in d.find_elements(*_by("#turns .turn .q"))] == [FOLLOW_UP, QUESTION]

    d.find_element(*_by("#chat-reset")).click()
    _wait(d, lambda d: not d.find_elements(*_by("#turns .turn")))
    with served.client(KEY) as c:
        _wait(d, lambda d: c.get(f"/v1/chat/sessions/{sid}").status_code == 404, timeout=10)
    assert d.execute_script("return sessionStorage.getItem('ragkit.chatSession')") is None
