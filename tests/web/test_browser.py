"""The web app in a real headless Chromium (Debian's chromium, driven through chromium-driver) against a real server,
Mosquitto and the simulated flat, as a person uses it: sign in, ask, confirm, manage rules and memory, watch the home.

Screenshots go to ``$IOTLM_SCREENSHOTS`` when it is set (README's come from here), else to the test's temp folder.
Without Chromium these tests are skipped, unless ``IOTLM_REQUIRE_BROWSER=1`` (as in CI), where that is a failure.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iotlm.device_drivers.model import Attribute, Device
from tests.web.conftest import ODD_IDS, PASSWORD, Web

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
    if os.environ.get("IOTLM_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"the browser tests need {CHROMIUM} and {DRIVER}: apt-get install -y chromium chromium-driver")
    pytest.skip("no Chromium: apt-get install -y chromium chromium-driver", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("IOTLM_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser: webdriver.Chrome, web: Web) -> Iterator[webdriver.Chrome]:
    browser.get(web.url + "/login")
    browser.delete_all_cookies()
    yield browser
    if len(browser.window_handles) > 1:
        for handle in browser.window_handles[1:]:
            browser.switch_to.window(handle)
            browser.close()
        browser.switch_to.window(browser.window_handles[0])


def wait(driver: webdriver.Chrome, predicate: Any, timeout: float = 10) -> Any:
    """Until ``predicate()`` holds; an element htmx swapped out meanwhile is looked up again on the next poll."""
    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(lambda d: predicate())


def sign_in(driver: webdriver.Chrome, web: Web, name: str, role: str) -> None:
    web.token(name, role)  # adds the person with PASSWORD
    driver.get(web.url + "/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(driver, lambda: driver.current_url.rstrip("/") == web.url)


def card(driver: webdriver.Chrome, device_id: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f'li.device[data-device="{device_id}"]')


def say(driver: webdriver.Chrome, text: str) -> WebElement:
    """Send a chat request and return the reply it got."""
    before = len(driver.find_elements(By.CSS_SELECTOR, "#messages li.message"))
    box = driver.find_element(By.ID, "text")
    box.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#ask button[type=submit]").click()
    wait(driver, lambda: len(driver.find_elements(By.CSS_SELECTOR, "#messages li.message")) > before)
    return driver.find_elements(By.CSS_SELECTOR, "#messages li.message")[-1]


def test_ask_in_chat_and_the_home_card_turns_on_without_a_reload(page: webdriver.Chrome, web: Web, shots: Path) -> None:
    now = web.stack.clock().timestamp()
    web.runtime.store.record_states([  # type: ignore[union-attr]  # a day of readings: the cards draw them
        (now - 86_000 + k * 1800, device, attribute, round(base + 1.5 * math.sin(k / 5), 1))
        for k in range(48) for device, attribute, base in (("bedroom.climate", "temperature", 20.5),
                                                            ("bedroom.climate", "humidity", 50.0),
                                                            ("kitchen.temperature", "temperature", 21.5))])
    sign_in(page, web, "alice", "member")
    spark = page.find_element(By.CSS_SELECTOR, 'li.condition[data-source="bedroom.climate/temperature"] svg.spark')
    assert len((spark.find_element(By.TAG_NAME, "polyline").get_attribute("points") or "").split()) == 48
    page.execute_script("window.loadedOnce = 'yes'")
    assert card(page, "kitchen.light").find_element(By.CSS_SELECTOR, "[data-attr=state]").text == "off"
    wait(page, lambda: page.execute_script("return document.body.dataset.connected") == "yes")
    home = page.current_window_handle
    page.switch_to.new_window("tab")
    page.get(web.url + "/chat")
    reply = say(page, "turn on the kitchen light")
    assert "The kitchen light is now on." in reply.text
    assert "kitchen light: state on (done)" in reply.find_element(By.CSS_SELECTOR, ".actions").text
    page.save_screenshot(str(shots / "chat.png"))
    page.switch_to.window(home)
    wait(page, lambda: card(page, "kitchen.light").find_element(By.CSS_SELECTOR, "[data-attr=state]").text == "on")
    assert "active" in (card(page, "kitchen.light").get_attribute("class") or "")
    assert page.execute_script("return window.loadedOnce") == "yes"  # the same page: no reload
    page.save_screenshot(str(shots / "home.png"))


def test_unlock_asks_then_confirm_unlocks(page: webdriver.Chrome, web: Web) -> None:
    sign_in(page, web, "alice", "admin")
    page.get(web.url + "/chat?thread=door")
    asked = say(page, "unlock the front door")
    assert web.sent() == [] and "front door" in asked.find_element(By.CSS_SELECTOR, ".reply-text").text
    asked.find_element(By.CSS_SELECTOR, "button.confirm").click()
    wait(page, lambda: len(page.find_elements(By.CSS_SELECTOR, "#messages li.message")) == 2)
    done = page.find_elements(By.CSS_SELECTOR, "#messages li.message")[-1]
    assert "state unlocked (done)" in done.find_element(By.CSS_SELECTOR, ".actions").text
    assert web.stack.conn.registry.value("hallway.front_door", "state") == "unlocked"
    assert web.sent() == [("hallway.front_door", {"state": "UNLOCK"})]


def test_a_guest_is_refused_unlocking_with_the_reason(page: webdriver.Chrome, web: Web) -> None:
    sign_in(page, web, "gus", "guest")
    page.get(web.url + "/chat")
    reply = say(page, "unlock the front door")
    refused = reply.find_element(By.CSS_SELECTOR, ".refused").text
    assert "guest" in refused and reply.find_elements(By.CSS_SELECTOR, "button.confirm") == []
    page.get(web.url + "/")
    lock = card(page, "hallway.front_door")
    lock.find_element(By.CSS_SELECTOR, 'button[data-option="unlocked"]').click()
    wait(page, lambda: "guest" in card(page, "hallway.front_door").find_element(By.CSS_SELECTOR, ".error").text)
    assert web.sent() == [] and web.stack.conn.registry.value("hallway.front_door", "state") == "locked"


def test_add_a_rule_in_plain_words(page: webdriver.Chrome, web: Web) -> None:
    sign_in(page, web, "alice", "member")
    page.get(web.url + "/rules")
    page.find_element(By.ID, "rule-text").send_keys("when the hallway motion sensor sees someone, turn on the hallway light")
    page.find_element(By.CSS_SELECTOR, "#rule-form button[type=submit]").click()
    wait(page, lambda: page.find_elements(By.ID, "save-rule"))
    assert "hallway light" in page.find_element(By.CSS_SELECTOR, "#preview .preview").text
    assert web.server.rules.rules() == []  # shown back before it is saved
    page.find_element(By.ID, "save-rule").click()
    wait(page, lambda: page.find_elements(By.CSS_SELECTOR, "#rules li.rule"))
    listed = page.find_element(By.CSS_SELECTOR, "#rules li.rule").text
    assert "hallway light" in listed and "alice" in listed
    assert [r.owner for r in web.server.rules.rules()] == ["alice"]


def test_forget_a_memory_and_it_is_gone_after_a_reload(page: webdriver.Chrome, web: Web) -> None:
    memory = web.runtime.memory()
    keep = memory.add("the cat sleeps in the office", user="alice")
    drop = memory.add("the spare key is under the blue pot", user="alice")
    sign_in(page, web, "alice", "member")
    page.get(web.url + "/memory")
    item = page.find_element(By.CSS_SELECTOR, f'li.memory[data-memory="{drop}"]')
    item.find_element(By.TAG_NAME, "button").click()
    page.switch_to.alert.accept()
    wait(page, lambda: not page.find_elements(By.CSS_SELECTOR, f'li.memory[data-memory="{drop}"]'))
    page.refresh()
    shown = [e.get_attribute("data-memory") for e in page.find_elements(By.CSS_SELECTOR, "li.memory")]
    assert shown == [str(keep)] and "blue pot" not in page.page_source
    assert web.runtime.store.memory(drop) is None  # type: ignore[union-attr]


def test_a_sensor_report_moves_the_room_reading_live(page: webdriver.Chrome, web: Web) -> None:
    sign_in(page, web, "alice", "member")
    source = 'li.condition[data-source="bedroom.climate/temperature"]'
    reading = page.find_element(By.CSS_SELECTOR, source)
    assert reading.find_element(By.CSS_SELECTOR, ".reading-value").text == "19.5"
    wait(page, lambda: page.execute_script("return document.body.dataset.connected") == "yes")
    web.stack.sim.transport.publish("iotlm/sim/bedroom.climate/report", json.dumps({"temperature": 26.5}))
    wait(page, lambda: page.find_element(By.CSS_SELECTOR, source + " .reading-value").text == "26.5")
    moved = page.find_element(By.CSS_SELECTOR, source)
    assert "band-high" in (moved.get_attribute("class") or "") and "out of band" in moved.text


def test_a_device_named_like_a_script_is_shown_as_text(page: webdriver.Chrome, web: Web) -> None:
    name = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    web.stack.conn.registry.upsert(Device(id="office.evil", name=name, room="office", type="switch", attributes={
        "state": Attribute(value="off", options=["on", "off"])}))
    sign_in(page, web, "alice", "member")
    shown = card(page, "office.evil").find_element(By.CSS_SELECTOR, ".name").text
    assert shown == name
    assert page.execute_script("return window.pwned === undefined")
    assert page.find_elements(By.CSS_SELECTOR, "li.device script, li.device img") == []


def test_the_pages_fit_a_phone(page: webdriver.Chrome, web: Web, shots: Path) -> None:
    sign_in(page, web, "alice", "member")
    page.set_window_size(390, 844)
    try:
        for path in ("/", "/chat", "/rules", "/memory", "/audit"):
            page.get(web.url + path)
            overflow = page.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} is {overflow} px wider than a phone"
        page.get(web.url + "/")
        page.save_screenshot(str(shots / "home-phone.png"))
    finally:
        page.set_window_size(1280, 900)


def test_nothing_is_fetched_from_elsewhere(page: webdriver.Chrome, web: Web) -> None:
    sign_in(page, web, "alice", "admin")
    for path in ("/", "/chat", "/rules", "/memory", "/audit", "/docs"):
        page.get(web.url + path)
        urls = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert all(u.startswith(web.url) for u in urls), (path, urls)


def test_a_room_picker_answers_which_light(page: webdriver.Chrome, web: Web) -> None:
    sign_in(page, web, "alice", "member")
    page.get(web.url + "/chat")
    asked = say(page, "turn on the light")
    buttons = asked.find_elements(By.CSS_SELECTOR, ".room-picker button")
    assert [b.text for b in buttons] == ["bathroom", "bedroom", "hallway", "kitchen", "living room", "office"]
    assert web.sent() == []
    buttons[-1].click()
    wait(page, lambda: len(page.find_elements(By.CSS_SELECTOR, "#messages li.message")) == 2)
    assert "desk lamp" in page.find_elements(By.CSS_SELECTOR, "#messages li.message")[-1].text
    assert web.sent() == [("office.desk_lamp", {"state": "ON"})]


@pytest.fixture
def odd_page(browser: webdriver.Chrome, odd_web: Web) -> Iterator[webdriver.Chrome]:
    browser.get(odd_web.url + "/login")
    browser.delete_all_cookies()
    yield browser


def test_a_device_id_shaped_like_a_path_is_controlled_from_the_page_and_reaches_nothing_else(
        odd_page: webdriver.Chrome, odd_web: Web, shots: Path) -> None:
    """Issue 25, 4: a discovery identifier ``../rules/victim-rule/remove`` made a "Turn on" click remove a rule, and
    ids with "/" could not be controlled at all."""
    from iotlm.automations.model import Rule

    rules = odd_web.server.home.rules
    rules.save(Rule.model_validate({"id": "victim-rule", "owner": "alice", "when": {"at": "07:00"},
                                    "do": [{"device": "kitchen.light", "set": {"state": "on"}}]}))
    sign_in(odd_page, odd_web, "alice", "admin")
    for device_id in ODD_IDS:
        button = card(odd_page, device_id).find_element(By.CSS_SELECTOR, 'button[data-option="on"]')
        button.click()
        wait(odd_page, lambda d=device_id: card(odd_page, d).find_element(By.CSS_SELECTOR, "[data-attr=state]").text == "on")
    odd_page.save_screenshot(str(shots / "odd-ids.png"))
    assert rules.get("victim-rule") is not None
    assert sorted(odd_web.sent()) == sorted((i, {"state": "ON"}) for i in ODD_IDS)


def test_a_guest_sees_neither_others_memories_nor_their_audit(page: webdriver.Chrome, web: Web, shots: Path) -> None:
    """Issue 25, 6: a guest read alice's "the alarm code is 4711" and her whole audit log."""
    web.runtime.memory().add("the alarm code is 4711 and the spare key is under the blue pot", user="alice")
    mine = web.runtime.memory().add("gus likes jazz", user="gus")
    with web.client(web.token("alice", "admin")) as c:
        c.post("/api/ask", json={"text": "unlock the front door", "yes": True})
    sign_in(page, web, "gus", "guest")
    page.get(web.url + "/memory")
    assert [e.get_attribute("data-memory") for e in page.find_elements(By.CSS_SELECTOR, "li.memory")] == [str(mine)]
    assert "4711" not in page.page_source
    page.get(web.url + "/memory?q=alarm+code")
    assert "4711" not in page.page_source
    page.get(web.url + "/audit?user=alice")
    page.save_screenshot(str(shots / "guest-audit.png"))
    assert "hallway.front_door" not in page.page_source and "No decisions match." in page.page_source


def test_a_dropped_question_loses_its_buttons(page: webdriver.Chrome, web: Web, shots: Path) -> None:
    """Issue 26: a question dropped by the next request showed Confirm and Cancel still, which then did nothing."""
    sign_in(page, web, "alice", "admin")
    page.get(web.url + "/chat?thread=drop")
    asked = say(page, "unlock the front door")
    assert asked.find_elements(By.CSS_SELECTOR, "button.confirm")
    say(page, "turn on the kitchen light")
    first = page.find_elements(By.CSS_SELECTOR, "#messages li.message")[0]
    wait(page, lambda: not first.find_elements(By.CSS_SELECTOR, "button.confirm"))
    assert "no longer waiting for an answer" in first.text
    page.save_screenshot(str(shots / "withdrawn.png"))
    page.refresh()  # and after a reload nothing is shown as waiting either
    assert page.find_elements(By.CSS_SELECTOR, ".waiting") == []
    assert web.sent() == [("kitchen.light", {"state": "ON"})]


def test_the_home_page_shows_the_canonical_model_in_a_persons_words(page: webdriver.Chrome, web: Web, shots: Path) -> None:
    """Brightness as a percentage (the flat's 127 of 254 is 50 %), a motion sensor "clear" and then "occupied" live,
    a thermostat's modes and a fan's speeds as choices that change the device."""
    sign_in(page, web, "alice", "member")
    lamp = card(page, "living_room.floor_lamp")
    assert lamp.find_element(By.CSS_SELECTOR, "output[data-attr=brightness]").text == "50"
    assert "brightness 50 %" in " ".join(lamp.find_element(By.CSS_SELECTOR, "label.slider").text.split())
    motion = card(page, "hallway.motion")
    assert "occupancy clear" in motion.text and "False" not in motion.text
    wait(page, lambda: page.execute_script("return document.body.dataset.connected") == "yes")
    web.stack.sim.transport.publish("iotlm/sim/hallway.motion/report", json.dumps({"occupancy": True}))
    wait(page, lambda: card(page, "hallway.motion").find_element(By.CSS_SELECTOR, "[data-attr=occupancy]").text == "occupied")
    modes = card(page, "living_room.thermostat").find_element(By.CSS_SELECTOR, "select[data-attr=mode]")
    assert [o.text for o in modes.find_elements(By.TAG_NAME, "option")] == ["off", "heat", "auto"]
    speeds = card(page, "bedroom.fan").find_element(By.CSS_SELECTOR, "select[data-attr=speed]")
    assert [o.text for o in speeds.find_elements(By.TAG_NAME, "option")] == ["low", "medium", "high"]
    page.save_screenshot(str(shots / "home-model.png"))
    from selenium.webdriver.support.select import Select
    Select(modes).select_by_visible_text("auto")
    wait(page, lambda: web.stack.sim.state("living_room.thermostat")["mode"] == "auto")
    wait(page, lambda: Select(card(page, "living_room.thermostat").find_element(
        By.CSS_SELECTOR, "select[data-attr=mode]")).first_selected_option.text == "auto")


DOORBELL = """
at_the_door:
  about: open too long
  devices: {has: contact, name: [door]}
  is: {contact: false}
  say: "The {device} opened at {since}."
  suggest: {say: "Unlock the {device}", set: {state: unlocked}, device: {type: lock}}
  to: [admin, guest]
"""


@pytest.fixture
def watching(web: Web) -> Iterator[Any]:
    """The watch engine on the web's registry, with a person's own watcher: the door opens, unlocking is offered."""
    import yaml

    from iotlm.automations.watch import WatchEngine
    from iotlm.automations.watchers import parse_watchers

    watchers = [w for w in parse_watchers(yaml.safe_load(DOORBELL), "watchers.yaml").values() if w is not None]
    engine = WatchEngine(web.stack.conn.registry, watchers, web.runtime.notices, clock=web.stack.clock).start(every=0.1)
    yield engine
    engine.stop()


def _open_the_door(web: Web, contact: bool = False) -> None:
    web.stack.sim.apply("hallway.door_contact", {"contact": contact}, from_device=True)
    web.stack.sim.publish_state("hallway.door_contact")


def test_a_notice_appears_live_and_its_action_goes_through_the_gate_as_whoever_taps_it(
        page: webdriver.Chrome, web: Web, watching: Any, shots: Path) -> None:
    web.token("alice", "admin")  # in the household before the door opens: told too
    sign_in(page, web, "gus", "guest")
    page.get(web.url + "/notifications")
    wait(page, lambda: page.execute_script("return document.body.dataset.connected") == "yes")
    _open_the_door(web)
    toast = wait(page, lambda: page.find_element(By.CSS_SELECTOR, "#toasts .toast"))
    assert toast.find_element(By.CSS_SELECTOR, "p").text == "The hallway front door sensor opened at 12:00."
    assert page.find_element(By.ID, "bell-count").text == "1"
    button = toast.find_element(By.CSS_SELECTOR, "button.confirm")
    assert button.text == "Unlock the hallway front door lock"
    page.save_screenshot(str(shots / "notice-live.png"))
    button.click()  # a guest's tap: the gate refuses, as it would in chat
    said = wait(page, lambda: toast.find_element(By.CSS_SELECTOR, ".said").text or None)
    assert said.startswith("Unlock the hallway front door lock: denied") and "guest" in said
    page.save_screenshot(str(shots / "notice-guest-refused.png"))
    assert web.sent() == [] and web.stack.conn.registry.value("hallway.front_door", "state") == "locked"
    # the admin finds it on the Notices page, with what became of it, and taps: done, through the gate, as them
    sign_in(page, web, "alice", "admin")
    page.get(web.url + "/notifications")
    item = page.find_element(By.CSS_SELECTOR, "li.notice")
    assert "gus: Unlock the hallway front door lock: denied" in item.find_element(By.CSS_SELECTOR, ".outcome").text
    item.find_element(By.CSS_SELECTOR, "button.confirm").click()
    wait(page, lambda: "done" in item.find_element(By.CSS_SELECTOR, ".result").text)
    page.save_screenshot(str(shots / "notices.png"))
    assert web.sent() == [("hallway.front_door", {"state": "UNLOCK"})]
    assert web.stack.conn.registry.value("hallway.front_door", "state") == "unlocked"
    decisions = [(e["user"], e["verdict"]) for e in web.stack.audit.entries() if e["device_id"] == "hallway.front_door"]
    assert sorted(decisions) == [("alice", "allow"), ("gus", "deny")]
