"""In Chromium, against a real daphne: the main pages work under the Content-Security-Policy
with no violation reported, and the XSS corpus, planted through every surface, never runs
(alert/confirm/prompt and the payloads' window.__xss marker are recorded)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.realtime.processes import ROOT, Daphne, chromium, demo_env, demo_server, http
from tests.security.conftest import xss_payloads

pytestmark = [pytest.mark.browser, pytest.mark.processes]


RECORDER = """
window.__csp = [];
window.__xssCalls = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
['alert', 'confirm', 'prompt'].forEach(function (name) {
  window[name] = function () { window.__xssCalls.push(name); return null; };
});
"""


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return demo_env(prefix="fixline-security-browser-")


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Any:
    yield from demo_server(env)


@pytest.fixture(scope="module")
def browser() -> Any:
    yield from chromium()


def new_page(browser: Any, console: list[str]) -> Any:
    context = browser.new_context(locale="en-US")
    context.add_init_script(RECORDER)
    # Nothing leaves the machine (map tiles): a hanging tile request would only slow "load".
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:"))
            else route.abort()
        ),
    )
    page = context.new_page()
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return page


def visit(page: Any, url: str) -> tuple[list[str], list[str], Any]:
    page.goto(url, wait_until="load")
    page.wait_for_timeout(50)
    return (
        page.evaluate("window.__csp"),
        page.evaluate("window.__xssCalls"),
        page.evaluate("window.__xss"),
    )


def demo_ticket(server: Daphne) -> int:
    status, answer = http("GET", f"{server.url}/api/v1/tickets/?status=open")
    assert status == 200, answer
    return next(row["id"] for row in answer["results"] if not row.get("event"))


def test_main_pages_work_under_the_policy(server: Daphne, browser: Any) -> None:
    from playwright.sync_api import expect

    console: list[str] = []
    page = new_page(browser, console)
    ticket = demo_ticket(server)
    pages = ["/", f"/tickets/{ticket}/", "/tickets/new/", "/accounts/login/", "/accounts/signup/"]
    for path in pages:
        violations, _calls, _marker = visit(page, server.url + path)
        assert violations == [], f"{path}: {violations}"
        if path.startswith("/tickets/") and path != "/tickets/new/":
            expect(page.get_by_test_id("live-state")).to_have_attribute(
                "data-state", "live", timeout=5000
            )
        if path in ("/", "/tickets/new/"):
            expect(page.get_by_test_id("map")).to_be_visible()
    # Logged in as an agent: the moderation and agent pages.
    page.goto(server.url + "/accounts/login/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", "demo-agent")
    page.locator("form[data-testid=login-form] [type=submit]").click()
    page.wait_for_load_state("load")
    for path in ["/moderation/", "/dashboard/", "/accounts/two-factor/", f"/tickets/{ticket}/"]:
        response = page.goto(server.url + path, wait_until="load")
        if response.status == 404:
            continue
        assert response.status == 200, path
        page.wait_for_timeout(50)
        assert page.evaluate("window.__csp") == [], path
    for path in ["/embed/", "/embed/riverton/"]:
        response = page.goto(server.url + path, wait_until="load")
        if response.status == 200:
            assert page.evaluate("window.__csp") == [], path
    assert console == [], console


def test_only_the_widget_can_be_framed_by_another_site(server: Daphne, browser: Any) -> None:
    """A news site (another origin) frames the widget; framing any other page is refused."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(f"{server.url}/embed/?jurisdiction=riverton", timeout=10).close()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            pytest.skip("the /embed/ widget does not exist yet")
        raise
    news_url = "http://news.example/article"
    news = (
        f'<iframe name="widget" src="{server.url}/embed/?jurisdiction=riverton"></iframe>'
        f'<iframe name="home" src="{server.url}/"></iframe>'
    )

    def handle(route: Any) -> None:
        url = route.request.url
        if url.startswith(news_url):
            route.fulfill(body=news, content_type="text/html")
        elif url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
            route.continue_()
        else:
            route.abort()

    context = browser.new_context(locale="en-US")
    context.route("**/*", handle)
    page = context.new_page()
    page.goto(news_url)
    page.wait_for_timeout(1500)
    widget = page.frame(name="widget")
    home = page.frame(name="home")
    assert widget is not None and widget.url.startswith(server.url + "/embed/")
    assert widget.evaluate("document.body.innerText.length") > 0
    # Chromium replaces a page that refuses framing with its error page.
    assert home is not None and not home.url.startswith(server.url), home.url if home else None
    context.close()


def plant_payloads(env: dict[str, str]) -> dict[str, Any]:
    code = (
        "import json; from tests.security.corpus import plant; "
        "from tests.security.conftest import xss_payloads; "
        "print('PLANTED ' + json.dumps(plant(xss_payloads(), emails=False)))"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("PLANTED "))
    return json.loads(line.removeprefix("PLANTED "))


@pytest.mark.timeout(400)  # about ninety pages: slow on a loaded 2-core machine, never stuck
def test_xss_corpus_never_runs_in_the_browser(
    env: dict[str, str], server: Daphne, browser: Any
) -> None:
    planted = plant_payloads(env)
    assert len(planted["tickets"]) == len(xss_payloads())
    console: list[str] = []
    page = new_page(browser, console)
    # The hook itself works: an unprotected document running a payload is caught.
    page.set_content('<img src="data:," onerror="window.__xss=1"><script>alert(1)</script>')
    page.wait_for_timeout(50)
    assert page.evaluate("window.__xss") == 1 and page.evaluate("window.__xssCalls") == ["alert"]
    urls = [f"/?page={n}" for n in range(1, 8)]
    urls += [f"/tickets/{planted['comment_ticket']}/"]
    urls += [f"/tickets/{pk}/" for pk in planted["tickets"][1:]]
    urls += [f"/tickets/{pk}/" for pk in planted["open311"][:10]]
    urls += ["/feeds/jurisdictions/riverton.rss", f"/feeds/tickets/{planted['tickets'][0]}.atom"]
    urls += ["/embed/?jurisdiction=riverton", "/embed/?service_code=pothole"]
    executed = []
    # Eight tabs at a time: the corpus spans about ninety pages.
    tabs = [page] + [page.context.new_page() for _ in range(7)]
    for start in range(0, len(urls), len(tabs)):
        batch = list(zip(tabs, urls[start : start + len(tabs)], strict=False))
        for tab, path in batch:
            tab.goto(server.url + path, wait_until="commit")
        for tab, path in batch:
            tab.wait_for_load_state("load")
            tab.wait_for_timeout(20)
            calls, marker = tab.evaluate("window.__xssCalls"), tab.evaluate("window.__xss")
            if calls or marker:
                executed.append((path, calls, marker))
    # The agent's view too: private answers and offers with their text.
    page.goto(server.url + "/accounts/login/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", "demo-agent")
    page.locator("form[data-testid=login-form] [type=submit]").click()
    page.wait_for_load_state("load")
    for path in [f"/tickets/{planted['tickets'][1]}/", "/moderation/", "/dashboard/"]:
        _violations, calls, marker = visit(page, server.url + path)
        if calls or marker:
            executed.append((path, calls, marker))
    assert executed == [], executed
