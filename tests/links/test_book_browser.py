"""The page in a real browser (headless chromium) against a live server: times in the browser's own zone,
booking with the keyboard alone, the confirmation, rescheduling, cancelling, and "just taken".

Screenshots at phone and desktop size go to var/screenshots/ (see the README)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from links.services import link_create
from scheduling.models import Interview, InterviewStatus
from scheduling.services import interview_book
from tests.factories import CandidateFactory, HRFactory, InterviewerFactory
from tests.links.browser import DESKTOP, PHONE, Browser, find_chromium
from tests.scheduling.helpers import at, free

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
WAIT = 15


@pytest.fixture(autouse=True)
def _chromium():
    find_chromium()  # skips with a clear message where the browser is missing


@pytest.fixture
def people():
    candidate = CandidateFactory(name="Cara Candidate", timezone="Europe/London")
    interviewer = InterviewerFactory(name="Ivan Interviewer")
    free(candidate, 9, 12)
    free(interviewer, 9, 12)
    free(candidate, 9, 10, day=1)  # and one hour the next day
    free(interviewer, 9, 10, day=1)
    return candidate, interviewer


@pytest.fixture
def token(people):
    candidate, interviewer = people
    _link, token = link_create(
        candidate=candidate, interviewers=[interviewer], pool=[], pool_size=0, duration=60, step=30,
        start=at(0), end=at(0, day=2), expires_at=at(0, day=2), title="Backend panel",
        timezone_name="Europe/London", created_by=HRFactory(),
    )
    return token


@pytest.fixture
def open_browser():
    opened = []

    def make(timezone: str, size=DESKTOP) -> Browser:
        browser = Browser(timezone, size)
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        browser.quit()


def wait_for(driver, css: str, visible: bool = True):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    condition = ec.visibility_of_element_located if visible else ec.presence_of_element_located
    return WebDriverWait(driver, WAIT).until(condition((By.CSS_SELECTOR, css)))


def wait_text(driver, css: str, text: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return driver.find_element(By.CSS_SELECTOR, css)


def texts(driver, css: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]


def local_slot(start_hour: float, zone: str, day: int = 0) -> tuple[str, str]:
    """The day heading and the time label the page should show for a slot starting at that UTC hour."""
    start = at(int(start_hour), int((start_hour % 1) * 60), day=day).astimezone(ZoneInfo(zone))
    end = start + timedelta(hours=1)
    return f"{start:%A} {start.day} {start:%B}", f"{start:%H:%M}\u2013{end:%H:%M}"


SLOTS = [(9, 0), (9.5, 0), (10, 0), (10.5, 0), (11, 0), (9, 1)]  # (UTC hour, day): 60 minutes, 30-minute grid


@pytest.mark.parametrize("zone, size, shot", [
    ("Asia/Kolkata", DESKTOP, "book-desktop-asia-kolkata"),
    ("America/Los_Angeles", PHONE, "book-phone-america-los-angeles"),
])
def test_times_show_in_the_browsers_zone(live_server, token, open_browser, zone, size, shot):
    browser = open_browser(zone, size)
    driver = browser.driver
    driver.get(f"{live_server.url}/book/{token}")
    wait_for(driver, "fieldset.day")
    assert driver.find_element("id", "zone").get_attribute("value") == zone
    assert zone.replace("_", " ") in driver.find_element("id", "zone-now").text
    expected = [local_slot(h, zone, day) for h, day in SLOTS]
    assert texts(driver, ".slot .time") == [label for _, label in expected]
    days = [legend.split(" GMT")[0].strip() for legend in texts(driver, "fieldset.day legend")]
    assert days == list(dict.fromkeys(day for day, _ in expected)) and len(days) == 2  # grouped by local day
    assert all("GMT" in legend for legend in texts(driver, "fieldset.day legend"))  # every day says its offset
    # every radio has a label a screen reader reads, with the day and the zone in it
    label = driver.find_element("css selector", ".slot").get_attribute("textContent")
    assert expected[0][1] in label and expected[0][0] in label and zone.replace("_", " ") in label
    browser.screenshot(shot)
    # the zone picker changes the times shown
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "zone")).select_by_value("UTC")
    wait_text(driver, "#zone-now", "UTC")
    assert texts(driver, ".slot .time")[0] == "09:00\u201310:00"


def test_book_with_the_keyboard_alone(live_server, token, people, open_browser):
    from selenium.webdriver.common.keys import Keys

    zone = "Asia/Kolkata"
    browser = open_browser(zone, PHONE)
    driver = browser.driver
    driver.get(f"{live_server.url}/book/{token}")
    wait_for(driver, "fieldset.day")
    browser.screenshot("book-phone-picker")
    actions = driver.switch_to.active_element
    actions.send_keys(Keys.TAB)  # the zone picker
    assert driver.switch_to.active_element.get_attribute("id") == "zone"
    driver.switch_to.active_element.send_keys(Keys.TAB)  # into the times
    driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)  # the second time, checked
    focused = driver.switch_to.active_element
    assert focused.get_attribute("name") == "slot" and focused.is_selected()
    focused.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "continue"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(driver, "#confirm")
    assert driver.switch_to.active_element.get_attribute("id") == "confirm-heading"
    day, label = local_slot(9.5, zone)
    confirm = driver.find_element("id", "confirm-when").text
    assert day in confirm and label in confirm and "Asia/Kolkata" in confirm and "GMT+5:30" in confirm
    browser.screenshot("book-phone-confirm")
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "confirm-yes"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(driver, "#booked")
    when = wait_text(driver, "#booked-when", label).text
    assert day in when and "Asia/Kolkata" in when
    assert "booked" in driver.find_element("id", "message").text
    assert "With Ivan Interviewer." == driver.find_element("id", "booked-with").text
    interview = Interview.objects.get()
    assert interview.start == at(9, 30) and interview.candidate == people[0]
    ics = driver.find_element("id", "ics").get_attribute("href")
    assert ics.startswith(f"{live_server.url}/api/v1/public/links/{token}/interview.ics?tz=Asia%2FKolkata")
    browser.screenshot("book-phone-booked")


def test_reschedule_then_cancel(live_server, token, open_browser):
    zone = "America/New_York"
    browser = open_browser(zone, DESKTOP)
    driver = browser.driver
    driver.get(f"{live_server.url}/book/{token}")
    wait_for(driver, "fieldset.day")
    driver.find_elements("css selector", ".slot")[0].click()
    driver.find_element("id", "continue").click()
    wait_for(driver, "#confirm-yes").click()
    wait_for(driver, "#booked")
    wait_text(driver, "#booked-when", local_slot(9, zone)[1])
    browser.screenshot("book-desktop-booked")
    # reschedule to the last time offered
    driver.find_element("id", "reschedule").click()
    wait_text(driver, "#picker-heading", "Pick a new time")
    assert wait_for(driver, "#picker-back").is_displayed()
    labels = texts(driver, ".slot .time")
    # the booked hour (09:00-10:00 UTC) is busy now, so 09:00 and 09:30 are not offered
    assert labels == [local_slot(h, zone, day)[1] for h, day in [(10, 0), (10.5, 0), (11, 0), (9, 1)]]
    driver.find_elements("css selector", ".slot")[-2].click()  # 11:00 UTC on the first day
    driver.find_element("id", "continue").click()
    wait_text(driver, "#confirm-heading", "Move your interview?")
    assert "From " in driver.find_element("id", "confirm-when").text
    driver.find_element("id", "confirm-yes").click()
    wait_text(driver, "#message", "moved")
    wait_text(driver, "#booked-when", local_slot(11, zone)[1])
    interview = Interview.objects.get()
    assert (interview.start, interview.sequence) == (at(11), 1)
    # cancel
    driver.find_element("id", "cancel").click()
    wait_text(driver, "#cancel-when", local_slot(11, zone)[1])
    browser.screenshot("book-desktop-cancel-confirm")
    driver.find_element("id", "cancel-yes").click()
    wait_text(driver, "#message", "cancelled")
    wait_for(driver, "fieldset.day")
    assert Interview.objects.get().status == InterviewStatus.CANCELLED
    assert local_slot(11, zone)[1] in texts(driver, ".slot .time")  # free again
    browser.screenshot("book-desktop-cancelled")


def test_just_taken(live_server, token, people, open_browser):
    zone = "Europe/Berlin"
    browser = open_browser(zone, PHONE)
    driver = browser.driver
    driver.get(f"{live_server.url}/book/{token}")
    wait_for(driver, "fieldset.day")
    # meanwhile HR books the interviewer at 10:00 for someone else
    other = CandidateFactory()
    free(other, 9, 12)
    interview_book(candidate=other, interviewers=[people[1]], start=at(10), sync_calendars=False)
    taken = local_slot(10, zone)[1]
    index = texts(driver, ".slot .time").index(taken)
    driver.find_elements("css selector", ".slot")[index].click()
    driver.find_element("id", "continue").click()
    wait_for(driver, "#confirm-yes").click()
    alert = wait_for(driver, "#alert")
    assert "just taken" in alert.text and "pick another" in alert.text
    wait_for(driver, "#picker")
    labels = texts(driver, ".slot .time")
    assert taken not in labels and local_slot(9.5, zone)[1] not in labels  # fresh slots, without the taken hour
    assert local_slot(11, zone)[1] in labels
    assert Interview.objects.filter(candidate=people[0]).count() == 0
    browser.screenshot("book-phone-just-taken")


def test_gone_page(live_server, token, open_browser):
    from links.models import SchedulingLink
    from django.utils import timezone

    SchedulingLink.objects.update(revoked_at=timezone.now())
    browser = open_browser("UTC", PHONE)
    browser.driver.get(f"{live_server.url}/book/{token}")
    assert "withdrawn" in wait_for(browser.driver, "h1").text
    browser.screenshot("gone-phone")
