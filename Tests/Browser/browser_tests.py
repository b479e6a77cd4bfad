"""The browser client and the demo pages in a real, headless Chromium (Debian's chromium and chromium-driver), driven
by Selenium. Run by Tests/SystemTests/BrowserTests.swift: `python browser_tests.py SCENARIO JSON`, where JSON gives the
binaries' folder, the test database, the JWT secret, the users and their tokens, and where to keep screenshots.

Each scenario starts its own msgrelay processes (so that it can kill one with SIGKILL and start it again on the same
port), prints one JSON line with what it saw, and exits non-zero with the reason when an expectation fails.
"""

import http.server
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

DEADLINE = 30  # seconds any awaited condition may take on a loaded machine


class Failure(Exception):
    pass


def wait_until(what, condition, timeout=DEADLINE):
    """Polls `condition` until it returns a true value (returned) or the deadline passes (Failure naming `what`)."""
    end = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < end:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # a page still loading, an element not there yet
            last_error = error
        time.sleep(0.05)
    raise Failure(f"timed out waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Relay:
    """A msgrelay process on a fixed port, which can be killed and started again."""

    def __init__(self, config, port=None, environment=None):
        self.config = config
        self.port = port or free_port()
        self.environment = environment or {}
        self.process = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": self.config["database_url"],
            "JWT_SECRET": self.config["secret"],
            "LOG_LEVEL": "warning",
            "MSGRELAY_DEMO": "1",
            "MESSAGE_RATE_LIMIT_PER_MINUTE": "0",
        }
        env.update(self.environment)
        self.process = subprocess.Popen(
            [os.path.join(self.config["bin_dir"], "msgrelay"), "--port", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until(f"msgrelay on port {self.port}", self.healthy)

    def healthy(self):
        if self.process.poll() is not None:
            raise Failure(f"msgrelay exited with {self.process.returncode}: {self.process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def post(self, token, body, key=None):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(self.url + "/api/messages", data=json.dumps(body).encode(), headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def get(self, token, path):
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())


class Sql:
    """psql on the test database: a session kept open (to hold a lock), or one query's single value."""

    PSQL = os.environ.get("MSGTEST_PSQL", "/usr/lib/postgresql/15/bin/psql")

    def __init__(self, url):
        self.process = subprocess.Popen([self.PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", url], stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, text=True)

    def send(self, sql):
        self.process.stdin.write(sql + "\n")
        self.process.stdin.flush()

    def close(self):
        self.process.stdin.close()
        if self.process.wait(timeout=DEADLINE) != 0:
            raise Failure(f"psql exited with {self.process.returncode}")

    @classmethod
    def value(cls, url, sql):
        return int(subprocess.run([cls.PSQL, "-X", "-qtA", url, "-c", sql], check=True, capture_output=True, text=True).stdout.strip())


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("MSGTEST_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1000,760",
                     "--no-first-run", "--disable-background-networking", "--disable-renderer-backgrounding",
                     "--disable-backgrounding-occluded-windows", "--disable-background-timer-throttling"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(os.environ.get("MSGTEST_CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.set_script_timeout(DEADLINE)
    return driver


class Page:
    """A demo page in its own browser, read through the DOM contract of clients/web/demo."""

    def __init__(self, relay, token, name):
        self.name = name
        self.driver = browser()
        self.driver.get(f"{relay.url}/client/demo/#token={token}")
        self.wait_state("open")
        # The token is taken out of the address (and so out of the history and shared links) once read.
        address = self.driver.execute_script("return location.href")
        if "token=" in address:
            raise AssertionError(f"{name}: the token stays in the address: {address}")

    def state(self):
        return self.driver.find_element(By.ID, "state").text.strip()

    def wait_state(self, state, timeout=DEADLINE):
        wait_until(f"{self.name}: state {state} (now {self.safe_state()})", lambda: self.state() == state, timeout)

    def safe_state(self):
        try:
            return self.state()
        except Exception:
            return "?"

    def messages(self):
        """(id, content, mine, read, pending) of every message element, in page order."""
        return self.driver.execute_script("""
            return [...document.querySelectorAll('#messages .message')].map(m => [
                m.getAttribute('data-id'), (m.querySelector('.content') || m).textContent,
                m.getAttribute('data-mine') === 'true', m.getAttribute('data-read') === 'true', m.classList.contains('pending')])
        """)

    def with_content(self, content):
        return [m for m in self.messages() if m[1] == content]

    def wait_message(self, content, read=None):
        def seen():
            found = [m for m in self.with_content(content) if m[0] and not m[4]]
            return found and (read is None or found[0][3] == read) and found
        return wait_until(f"{self.name}: message {content!r}" + ("" if read is None else f" read={read}"), seen)[0]

    def type(self, text):
        box = self.driver.find_element(By.ID, "text")
        box.send_keys(text)

    def send(self, text):
        box = self.driver.find_element(By.ID, "text")
        box.send_keys(text)
        self.driver.find_element(By.ID, "send").click()

    def typing_shown(self):
        return self.driver.execute_script("const t = document.getElementById('typing'); return !!t && !t.hidden && t.offsetParent !== null")

    def unread(self):
        return int(self.driver.find_element(By.ID, "unread").text.strip() or "0")

    def screenshot(self, folder, name):
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.driver.save_screenshot(os.path.join(folder, name))

    def close(self):
        try:
            self.driver.quit()
        except Exception:
            pass


def once(page, content):
    """The message with `content` is on the page exactly once (pending copies gone)."""
    found = page.with_content(content)
    if len(found) != 1:
        raise Failure(f"{page.name}: {content!r} shown {len(found)} times: {found}")
    return found[0]


def chat(config):
    """A user page and an admin page chat both ways live: typing, messages, read receipts."""
    relay = Relay(config)
    user = admin = None
    try:
        user = Page(relay, config["alice_token"], "user page")
        user.send("Hello from Alice")
        mine = user.wait_message("Hello from Alice")
        admin = Page(relay, config["admin_token"], "admin page")
        # The admin page opens the most recent conversation, shows the message and, being visible, marks it read.
        admin.wait_message("Hello from Alice")
        wait_until("the conversation in the admin's list", lambda: admin.driver.find_elements(
            By.CSS_SELECTOR, f"#conversations [data-conversation-id='{config['alice_conversation']}']"))
        user.wait_message("Hello from Alice", read=True)
        if not mine[2]:
            raise Failure("the user's own message is not marked data-mine")

        # Typing: shown while the user types, hidden once they stop.
        user.type("I am typ")
        wait_until("the admin page shows the user typing", admin.typing_shown)
        wait_until("the typing indicator goes away", lambda: not admin.typing_shown(), timeout=20)
        user.driver.find_element(By.ID, "text").clear()

        # The admin answers; the user page shows it and marks it read, and the admin page sees the receipt.
        admin.send("Hi Alice, how can I help?")
        user.wait_message("Hi Alice, how can I help?")
        admin.wait_message("Hi Alice, how can I help?", read=True)
        # Live both ways, each once.
        user.send("Second question")
        admin.wait_message("Second question")
        for page, content in ((user, "Hello from Alice"), (admin, "Hello from Alice"), (user, "Hi Alice, how can I help?"),
                              (admin, "Second question")):
            once(page, content)
        wait_until("the admin page's unread count back to 0", lambda: admin.unread() == 0)
        # A send the client refuses at once (over 10,000 characters) is shown as not sent; its Retry sends it again
        # with the same client_id (a send stored after all, its answer lost, is then answered with the first message).
        user.driver.execute_script("""
            const c = window.msgrelayDemo.client, send = c.send.bind(c);
            window.sentWith = [];
            c.send = (text, options) => { window.sentWith.push((options || {}).clientId || null); return send(text, options); };
            document.getElementById('text').value = 'x'.repeat(10001);
        """)
        user.driver.find_element(By.ID, "send").click()
        failed = wait_until("the refused send shown as not sent", lambda: user.driver.execute_script("""
            const el = document.querySelector('#messages .message.pending.failed');
            return el && el.querySelector('.receipt').textContent.startsWith('not sent') && el.getAttribute('data-client-id');
        """))
        user.driver.execute_script("document.querySelector('#messages .message.pending.failed .receipt button').click()")
        sent_with = user.driver.execute_script("return window.sentWith")
        if sent_with != [None, failed]:
            raise Failure(f"the retry was sent with client ids {sent_with}, not the failed send's {failed}")
        user.screenshot(config.get("artifacts"), "demo-user.png")
        admin.screenshot(config.get("artifacts"), "demo-admin.png")
        return {"user_messages": len(user.messages()), "admin_messages": len(admin.messages())}
    finally:
        for page in (user, admin):
            page and page.close()
        relay.stop()


def restart(config):
    """The relay is killed with SIGKILL and started again: pages show reconnecting, messages typed meanwhile are
    delivered once after, and messages the admin sent meanwhile (through another relay) appear once."""
    # The in-flight send below waits for a row lock until the relay is killed: on a loaded machine that can pass the
    # request statement timeout (30 s), which would cancel the insert this scenario needs committed after the kill.
    relay = Relay(config, environment={"DATABASE_STATEMENT_TIMEOUT_SECONDS": "0"})
    other = Relay(config)
    user = admin = None
    try:
        user = Page(relay, config["alice_token"], "user page")
        user.send("before the crash")
        user.wait_message("before the crash")
        admin = Page(relay, config["admin_token"], "admin page")
        admin.wait_message("before the crash")

        # A send in flight when the relay dies: the sender's rate-limit row is held, so the relay's insert waits inside
        # the database; the relay is killed while it waits; then the row is released. The batched statement then
        # commits with nobody to answer; a send the batch skipped (its conversation's row was held a moment, by a read
        # receipt) waits in a transaction of its own, which the dead relay never commits. Either way the page never got
        # its acknowledgement and sends it again, with the same client_id, once the relay is back: one message.
        holder = Sql(config["database_url"])
        holder.send(f"BEGIN; SELECT 1 FROM sender_rate_limits WHERE sender_id = '{config['alice_id']}' FOR UPDATE;")
        # psql reads its input on its own time: the lock is held once its session idles inside the transaction.
        wait_until("the row lock held", lambda: Sql.value(
            config["database_url"],
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database()") >= 1)
        user.send("in flight at the crash")
        wait_until("the send waiting for the held row", lambda: Sql.value(
            config["database_url"],
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") >= 1)
        relay.kill()
        holder.send("COMMIT;")
        holder.close()
        wait_until("the orphaned insert to commit or roll back", lambda: Sql.value(
            config["database_url"],
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") == 0)
        user.wait_state("reconnecting")
        admin.wait_state("reconnecting")
        typed = ["typed while down 1", "typed while down 2"]
        for text in typed:
            user.send(text)
        conversation = config["alice_conversation"]
        answered = ["answered while down 1", "answered while down 2"]
        for text in answered:
            other.post(config["admin_token"], {"conversation_id": conversation, "content": text})

        relay.start()
        user.wait_state("open", timeout=60)
        admin.wait_state("open", timeout=60)
        typed.insert(0, "in flight at the crash")
        for text in typed:
            admin.wait_message(text)
            user.wait_message(text)
        for text in answered:
            user.wait_message(text)
        # The queued sends carry their client_id: still one message each, even if a retry reached the server twice.
        stored = other.get(config["admin_token"], f"/api/conversations/{conversation}/messages?limit=200")["messages"]
        for text in typed + answered + ["before the crash"]:
            count = sum(1 for m in stored if m["content"] == text)
            if count != 1:
                raise Failure(f"{text!r} stored {count} times")
        for page in (user, admin):
            for text in typed + answered + ["before the crash"]:
                once(page, text)
        user.screenshot(config.get("artifacts"), "demo-user-after-restart.png")
        return {"stored": len(stored)}
    finally:
        for page in (user, admin):
            page and page.close()
        relay.stop()
        other.stop()


ORIGIN_PAGE = """<!doctype html>
<meta charset="utf-8"><title>a site using the relay</title>
<pre id="result">running</pre>
<script type="module">
const relay = %(relay)s, token = location.hash.slice("#token=".length);
const result = {};
try {
  const module = await import(relay + "/client/msgrelay.js");
  result.module = typeof module.connect === "function";
} catch (e) { result.module = "failed: " + e; }
try {
  const answer = await fetch(relay + "/api/conversations", { headers: { Authorization: "Bearer " + token } });
  result.fetch = answer.status;
} catch (e) { result.fetch = "refused"; }
result.socket = await new Promise(done => {
  const ws = new WebSocket(relay.replace("http", "ws") + "/ws/messages?token=" + token);
  let first = null;
  ws.onmessage = e => { if (!first) first = JSON.parse(e.data).type; };
  ws.onclose = e => done({ first, code: e.code });
  setTimeout(() => { done({ first, code: "open" }); ws.close(); }, 5000);
});
document.getElementById("result").textContent = JSON.stringify(result);
</script>
"""


def origins(config):
    """A page of an origin in ALLOWED_ORIGINS may call the API and open a socket; another origin may do neither (the
    module itself loads anywhere)."""
    good_server = socketserver.TCPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    good_port = good_server.server_address[1]
    good_server.server_close()
    relay = Relay(config, environment={"ALLOWED_ORIGINS": f"http://127.0.0.1:{good_port}"})
    driver = browser()
    servers = []
    try:
        results = {}
        for name, host, port in (("allowed", "127.0.0.1", good_port), ("other", "127.0.0.2", 0)):
            body = (ORIGIN_PAGE % {"relay": json.dumps(relay.url)}).encode()

            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self, body=body):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, *args):
                    pass

            socketserver.ThreadingTCPServer.allow_reuse_address = True
            server = socketserver.ThreadingTCPServer((host, port), Handler)
            servers.append(server)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            driver.get(f"http://{host}:{server.server_address[1]}/#token={config['alice_token']}")
            text = wait_until(f"the {name} page's result", lambda: (lambda t: t != "running" and t)(
                driver.find_element(By.ID, "result").text))
            results[name] = json.loads(text)
        allowed, other = results["allowed"], results["other"]
        if allowed != {"module": True, "fetch": 200, "socket": {"first": "connected", "code": "open"}}:
            raise Failure(f"the allowed origin: {allowed}")
        if other["module"] is not True or other["fetch"] != "refused" or other["socket"].get("code") != 4403:
            raise Failure(f"the other origin: {other}")
        return results
    finally:
        driver.quit()
        for server in servers:
            server.shutdown()
        relay.stop()


def push(config):
    """The service worker: registered by the demo page, shows the relay's push payload as a notification unless a
    focused window of the site is open."""
    relay = Relay(config)
    page = Page(relay, config["alice_token"], "user page")
    driver = page.driver
    origin = relay.url
    try:
        driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": origin, "permissions": ["notifications"]})
        wait_until("the service worker active", lambda: driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            navigator.serviceWorker.getRegistration('/client/demo/').then(r => done(!!(r && r.active)), () => done(false));
        """))
        driver.execute_cdp_cmd("ServiceWorker.enable", {})

        def deliver(payload):
            # Registration ids are small integers in a fresh profile; the first that takes the message is the demo's.
            errors = []
            for registration in range(8):
                try:
                    driver.execute_cdp_cmd("ServiceWorker.deliverPushMessage",
                                           {"origin": origin, "registrationId": str(registration), "data": payload})
                    return registration
                except Exception as error:
                    errors.append(str(error).splitlines()[0])
            raise Failure(f"no registration took the push message: {errors}")

        def notifications():
            return driver.execute_async_script("""
                const done = arguments[arguments.length - 1];
                navigator.serviceWorker.getRegistration('/client/demo/')
                  .then(r => r.getNotifications()).then(list => done(list.map(n => [n.title, n.body, n.tag])), e => done(String(e)));
            """)

        focused_payload = config["push_payload_focused"]
        away_payload = config["push_payload"]
        # A focused window of the site is open: the worker shows nothing.
        wait_until("the page focused", lambda: driver.execute_script("window.focus(); return document.hasFocus()"))
        deliver(focused_payload)
        shown_while_focused = notifications()
        # No window of the site (the tab shows another page): shown. The site's page is opened again afterwards only to
        # read the notifications through its registration.
        driver.get("about:blank")
        deliver(away_payload)
        driver.get(f"{origin}/client/demo/#token={config['alice_token']}")
        expected = json.loads(away_payload)
        shown = wait_until("the notification", lambda: (lambda n: isinstance(n, list) and n and n)(notifications()))
        focused_body = json.loads(focused_payload)["body"]
        if any(n[1] == focused_body for n in shown) or (isinstance(shown_while_focused, list) and shown_while_focused):
            raise Failure(f"a notification was shown while a focused window was open: {shown_while_focused} / {shown}")
        if [n[:2] for n in shown] != [[expected["title"], expected["body"]]]:
            raise Failure(f"notifications shown: {shown}, expected {expected}")
        page.screenshot(config.get("artifacts"), "demo-user-push.png")
        return {"shown": shown}
    finally:
        page.close()
        relay.stop()


SCENARIOS = {"chat": chat, "restart": restart, "origins": origins, "push": push}

if __name__ == "__main__":
    scenario, config = sys.argv[1], json.loads(sys.argv[2])
    try:
        print(json.dumps(SCENARIOS[scenario](config)))
    except Failure as failure:
        print(f"{scenario}: {failure}", file=sys.stderr)
        sys.exit(1)
