"""The browser reaches the site and the page keeps to the CSP."""


def test_home_page_loads_without_csp_violations(page):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    response = page.goto("/healthz")
    assert response.status == 200
    page.goto("/no-such-page")
    assert "There is nothing at this address." in page.content()
    assert not [p for p in problems if "Content Security Policy" in p]
