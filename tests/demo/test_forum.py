"""The demo forum: posts in a folder, one page listing them, served on loopback."""

import requests

from canary.demo import forum


def test_the_page_lists_every_post_newest_first_and_escapes_them(tmp_path):
    forum.post(tmp_path, "a", "旧帖", "SF1000000000001,张三")
    newer = forum.post(tmp_path, "b", "新帖", "<script>x</script>")
    newer.touch()

    page = forum.render(tmp_path)

    assert page.index("新帖") < page.index("旧帖")
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "SF1000000000001,张三" in page


def test_the_forum_serves_the_page_on_loopback(tmp_path):
    forum.post(tmp_path, "a", "样例", "SF1000000000001")
    server = forum.Forum(tmp_path, 0)
    try:
        response = requests.get(server.url, timeout=5)
    finally:
        server.stop()

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "SF1000000000001" in response.text
