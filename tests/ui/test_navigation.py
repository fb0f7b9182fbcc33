"""The pages are `st.Page`s of one `st.navigation`: each draws under its own title, the sign-in
form stands in front of all of them, and a page can send the console to another one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.helpers import assert_clean
from ui.views import VIEWS


@pytest.mark.parametrize("key", list(VIEWS))
def test_every_page_draws_with_its_title(new_app: Callable[..., AppTest], key: str) -> None:
    at = new_app("admin", page=key)
    assert_clean(at)
    assert at.session_state["page"] == key
    assert at.title[0].value == VIEWS[key].title
    assert "go_to" not in at.session_state  # the request was used once


def test_signed_out_every_page_is_the_sign_in_form(new_app: Callable[..., AppTest]) -> None:
    at = new_app(None, page="audit")
    assert_clean(at)
    assert "DockerDeployer" in at.title[0].value
    assert at.text_input(key="login_username")
    assert not at.sidebar.caption  # no console before signing in
