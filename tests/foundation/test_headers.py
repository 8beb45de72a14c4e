from __future__ import annotations

from pathlib import Path

from tests.support.web import login


def _check(response):
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    response.close()


def test_headers_on_every_kind_of_page(client, installed):
    pages = ["/setup/", "/login", "/healthz", "/nowhere", "/static/css/app.css"]
    for url in pages:
        _check(client.get(url))
    login(client, "admin", installed["passphrase"])
    for url in ["/", "/admin/users", "/nowhere"]:
        response = client.get(url)
        _check(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_external_url(client, installed):
    login(client, "admin", installed["passphrase"])
    for url in ["/", "/admin/users", "/login", "/nowhere"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and "onclick" not in html and " style=" not in html
        assert "http://" not in html and "https://" not in html


def test_no_external_url_in_templates_or_static():
    root = Path(__file__).resolve().parents[2] / "app"
    for path in list(root.rglob("*.html")) + list(root.rglob("*.css")) + list(root.rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        assert "https://" not in text and "http://" not in text, path


def test_html_lang_follows_the_locale(client, installed):
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    client.set_cookie("lang", "th")
    assert '<html lang="th">' in client.get("/login").get_data(as_text=True)
    client.set_cookie("lang", "xx-evil")
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    # An invalid cookie is ignored: the browser's own preference is next in line.
    response = client.get("/login", headers={"Accept-Language": "km,en;q=0.5"})
    assert '<html lang="km">' in response.get_data(as_text=True)
    fresh = client.application.test_client()
    response = fresh.get("/login", headers={"Accept-Language": "km,en;q=0.5"})
    assert '<html lang="km">' in response.get_data(as_text=True)
