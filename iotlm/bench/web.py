"""The web app's figures (``iotlm bench web``): Home page load with 50 devices, a device report to the updated card as
measured in the page, ``/api/ask`` on the fast path end to end, and ``/api/health`` while 8 clients guess passwords.

Everything is real: an embedded Mosquitto, the simulated flat grown to 50 devices, the agent, the gate and the web
server on loopback; the page runs in Debian's headless Chromium (chromium-driver) when it is installed.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from pathlib import Path
from typing import Any

from iotlm.agent.session import Agent
from iotlm.bench.harness import scratch
from iotlm.bench.latency import summary
from iotlm.config import load_settings
from iotlm.device_drivers.broker import EmbeddedBroker
from iotlm.device_drivers.home import EXAMPLE_HOME, Home, load_home
from iotlm.device_drivers.model import Attribute, Device
from iotlm.device_drivers.simulator import Simulator
from iotlm.device_drivers.transport import Transport
from iotlm.runtime import build_runtime

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def home_of(size: int) -> Home:
    """The example flat with lights and room sensors added until it has ``size`` devices."""
    home = load_home(EXAMPLE_HOME)
    devices = list(home.devices)
    rooms = sorted({d.room for d in devices if d.room})
    n = 0
    while len(devices) < size:
        room = rooms[n % len(rooms)]
        if n % 3 == 2:
            devices.append(Device(id=f"{room}.sensor_{n}", name=f"sensor {n}", room=room, type="sensor", read_only=True,
                                  attributes={"temperature": Attribute(value=21.0, min=-20, max=50, unit="°C", writable=False)}))
        else:
            devices.append(Device(id=f"{room}.lamp_{n}", name=f"lamp {n}", room=room, type="light", attributes={
                "state": Attribute(value="off", options=["on", "off"]),
                "brightness": Attribute(value=50, min=0, max=100, unit="%")}))
        n += 1
    return home.model_copy(update={"devices": devices, "name": f"flat-{size}"})


def _browser() -> Any:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,900"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def run(devices: int = 50, loads: int = 20, reports: int = 60, asks: int = 200) -> dict[str, Any]:
    home = home_of(devices)
    work = scratch("iotlm-bench-web-")
    # a voice front end may send hundreds of commands a minute here; the default limit (20 a minute a device) would
    # refuse the bench's own requests
    (work / "policies.toml").write_text("[rate_limit]\nmax_commands = 1000000\n", encoding="utf-8")
    settings = load_settings({"home": str(work)}, environ={})
    out: dict[str, Any] = {"devices": len(home.devices)}
    with EmbeddedBroker() as broker:
        sim_transport = Transport(broker.url).start()
        sim = Simulator(home, sim_transport, dialect="z2m").start()
        runtime = build_runtime(settings, broker.url)
        try:
            runtime.connection.start(timeout=10)
            runtime.connection.registry.wait_for(lambda r: len(r) >= len(home.devices), timeout=20)
            agent = Agent(runtime, ranker=False)  # the fast path: no model is loaded
            from iotlm.web.server import WebServer

            web = WebServer(agent, bind="127.0.0.1:0", service_file=False).start()
            web.users.add("bench", "admin", "bench-password")
            token = web.users.new_token("bench")
            try:
                out["api_ask_fast"] = _asks(web.url, token, asks)
                out["home_page_server"] = _server_loads(web.url, token, loads)
                browser = _browser()
                if browser is None:
                    out["browser"] = "not measured: install chromium and chromium-driver"
                else:
                    try:
                        out.update(_in_browser(browser, web, sim, loads, reports))
                    finally:
                        browser.quit()
                # last: the flood's wrong passwords make this address wait before it may sign in again
                out["signin_flood"] = signin_flood(web.url)
            finally:
                web.stop()
                agent.close()
        finally:
            runtime.stop()
            sim_transport.stop()
    return out


def _health(url: str, seconds: float) -> list[float]:
    """``GET /api/health`` back to back for ``seconds``: what every other request waits while something else runs."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    times, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        conn.request("GET", "/api/health")
        conn.getresponse().read()
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.01)
    conn.close()
    return times


def signin_flood(url: str, clients: int = 8, seconds: float = 20.0) -> dict[str, Any]:
    """8 clients guess passwords as fast as the server answers (each: fetch the form, post a wrong password), while
    ``/api/health`` is timed; then the same without them. How many guesses reached a password check per minute, and
    what the flood did to everyone else."""
    import re
    import threading

    parts = urllib.parse.urlsplit(url)
    counts = {"checked": 0, "throttled": 0, "expired": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def guess(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        while not stop.is_set():
            conn.request("GET", "/login")
            response = conn.getresponse()
            page = response.read().decode()
            cookie = (response.getheader("set-cookie") or "").split(";")[0]
            found = re.search(r'name="csrf" value="([^"]+)"', page)
            if found is None:
                continue
            body = urllib.parse.urlencode({"csrf": found.group(1), "name": "bench", "password": f"guess-{n}"})
            conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            answer = conn.getresponse()
            answer.read()
            where = answer.getheader("location") or ""
            with lock:
                counts["checked" if "Wrong" in where else "throttled" if "Too+many" in where else "expired"] += 1
        conn.close()

    quiet = _health(url, 3.0)
    threads = [threading.Thread(target=guess, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    flooded = _health(url, seconds)
    stop.set()
    for thread in threads:
        thread.join(10)
    return {"clients": clients, "seconds": seconds, "password_checks": counts["checked"],
            "password_checks_per_minute": round(counts["checked"] * 60 / seconds, 1), "refused_wait": counts["throttled"],
            "health_quiet_ms": summary(quiet), "health_under_flood_ms": summary(flooded)}


def _asks(url: str, token: str, n: int) -> dict[str, Any]:
    """``POST /api/ask`` on one kept-alive connection, alternating on and off: what a voice front end sees."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    wall, inside, tiers = [], [], set()
    for i in range(n + 5):
        body = json.dumps({"text": "switch on the coffee machine" if i % 2 else "switch off the coffee machine", "thread": "bench"})
        started = time.perf_counter()
        conn.request("POST", "/api/ask", body, headers)
        answer = json.loads(conn.getresponse().read())
        if i >= 5:  # the first requests warm the connection and the parser
            wall.append((time.perf_counter() - started) * 1000)
            inside.append(answer["latency_ms"])
            tiers.add(answer["tier"])
            assert answer["actions"] and answer["actions"][0]["status"] == "done", answer
    conn.close()
    return {"end_to_end_ms": summary(wall), "agent_turn_ms": summary(inside), "tiers": sorted(tiers)}


def _server_loads(url: str, token: str, n: int) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    times, size = [], 0
    for _ in range(n + 2):
        started = time.perf_counter()
        conn.request("GET", "/", headers={"Authorization": f"Bearer {token}"})
        body = conn.getresponse().read()
        times.append((time.perf_counter() - started) * 1000)
        size = len(body)
    conn.close()
    return {"html_ms": summary(times[2:]), "bytes": size}


def _in_browser(browser: Any, web: Any, sim: Simulator, loads: int, reports: int) -> dict[str, Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(web.url + "/login")
    browser.find_element(By.NAME, "name").send_keys("bench")
    browser.find_element(By.NAME, "password").send_keys("bench-password")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.rstrip("/") == web.url)
    load_ms = []
    for _ in range(loads + 2):
        browser.get(web.url + "/")
        WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.body.dataset.connected") == "yes")
        load_ms.append(browser.execute_script(
            "const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime;"))
    cards = len(browser.find_elements(By.CSS_SELECTOR, "li.device"))
    sensor = "kitchen.temperature"
    sent: dict[float, float] = {}
    for i in range(reports):
        value = round(30.0 + i / 10, 1)
        sent[value] = time.time() * 1000
        sim.apply(sensor, {"temperature": value}, from_device=True)  # the sensor measures it and reports
        sim.publish_state(sensor)
        time.sleep(0.1)
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return window.iotlmUpdates.filter(u => u.attribute === 'temperature').length") >= reports)
    updates = browser.execute_script("return window.iotlmUpdates")
    delays = [u["shown"] - sent[u["value"]] for u in updates
              if u["device"] == sensor and u["attribute"] == "temperature" and u["value"] in sent]
    shown = browser.find_element(By.CSS_SELECTOR, f'li.condition[data-source="{sensor}/temperature"] .reading-value').text
    return {"home_page_load_ms": summary(load_ms[2:]), "cards": cards,
            "report_to_card_ms": summary(delays), "last_shown": shown}


__all__ = ["home_of", "run", "signin_flood"]
