"""CalDAV, end to end: the caldav library and our HTTP API against a real Radicale on loopback."""

import http.server
import threading
import time
import uuid
from datetime import timedelta

import caldav
import pytest
from icalendar import Calendar

from integrations.caldav import client as caldav_client
from integrations.caldav.services import caldav_read_busy, caldav_sync
from integrations.google.crypto import decrypt, encrypt
from integrations.models import CalDAVConnection
from scheduling.calendar_push import busy_block_sync
from scheduling.models import Interview
from slots.models import BusyPeriod
from tests.conftest import assert_error
from tests.integrations.radicale_server import USERS, radicale
from tests.integrations.silent_server import dripping_server, loopback_server, silent_server
from tests.scheduling.helpers import at, book, free, iso, slot_starts

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def radicale_url(tmp_path_factory):
    with radicale(tmp_path_factory.mktemp("radicale")) as url:
        yield url


@pytest.fixture
def server(radicale_url, settings):
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    return radicale_url


def stamp(value) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def event(uid: str, start, end, extra: str = "") -> str:
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
            f"DTSTAMP:20260101T000000Z\r\nDTSTART:{stamp(start)}\r\nDTEND:{stamp(end)}\r\nSUMMARY:x\r\n{extra}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture
def ann_calendars(server):
    """Two fresh calendars of ann's (a test's own, so tests do not see each other's events)."""
    principal = caldav.DAVClient(url=server, username="ann", password=USERS["ann"], timeout=10).principal()
    suffix = uuid.uuid4().hex[:8]
    work = principal.make_calendar(name=f"Work {suffix}", cal_id=f"work-{suffix}")
    home = principal.make_calendar(name=f"Home {suffix}", cal_id=f"home-{suffix}")
    yield work, home
    for calendar in principal.calendars():  # what other tests connect to must be only their own
        calendar.delete()


def connect(client, server, password=USERS["ann"], **extra):
    return client.post("/api/v1/integrations/caldav", {"url": server, "username": "ann", "password": password, **extra},
                       format="json")


def choose(client, *calendars, busy=None):
    body = {"calendars": [str(c.url) for c in calendars]}
    if busy is not None:
        body["busy_calendar"] = str(busy.url)
    r = client.patch("/api/v1/integrations/caldav", body, format="json")
    assert r.status_code == 200, r.content
    return r.json()


def test_connect_finds_the_calendars_and_keeps_the_password_encrypted(interviewer_client, interviewer, server,
                                                                       ann_calendars):
    r = connect(interviewer_client, server)
    assert r.status_code == 201, r.content
    body = r.json()
    names = {c["name"] for c in body["available_calendars"]}
    assert {c.name for c in ann_calendars} <= names
    assert body["connected"] is True and body["status"] == "active" and body["username"] == "ann"
    assert set(body["calendars"]) == {c["id"] for c in body["available_calendars"]}
    assert USERS["ann"] not in r.content.decode() and "password" not in body
    stored = CalDAVConnection.objects.get(user=interviewer)
    assert decrypt(stored.password_encrypted) == USERS["ann"] and USERS["ann"] not in stored.password_encrypted
    shown = interviewer_client.get("/api/v1/integrations/caldav")
    assert shown.status_code == 200 and USERS["ann"] not in shown.content.decode()


def test_connect_refuses_bad_credentials_and_bad_input(interviewer_client, candidate_client, server, ann_calendars):
    error = assert_error(connect(interviewer_client, server, password="wrong"), 400, "validation_error")
    assert "password" in error["fields"]
    assert not CalDAVConnection.objects.exists()
    for body in ({}, {"url": server}, {"url": "not a url", "username": "ann", "password": "x"},
                 {"url": "ftp://127.0.0.1/", "username": "ann", "password": "x"},
                 {"url": server, "username": ["ann"], "password": "x"},
                 {"url": server, "username": "ann", "password": "x" * 5000}):
        assert_error(interviewer_client.post("/api/v1/integrations/caldav", body, format="json"), 400, "validation_error")
    assert_error(connect(candidate_client, server), 403, "permission_denied")
    assert_error(interviewer_client.get("/api/v1/integrations/caldav"), 404, "not_found")
    assert_error(interviewer_client.post("/api/v1/integrations/caldav/sync"), 404, "not_found")
    assert_error(interviewer_client.patch("/api/v1/integrations/caldav", {"calendars": ["x"]}, format="json"),
                 404, "not_found")


def test_urls_follow_the_import_rules(interviewer_client, server, settings):
    settings.ICAL_URL_ALLOWED_NETWORKS = []  # loopback is private: refused like an iCal import URL
    error = assert_error(connect(interviewer_client, server), 400, "validation_error")
    assert "private network" in error["fields"]["url"][0]
    user_info = server.replace("http://", "http://ann:pw@")
    assert_error(connect(interviewer_client, user_info), 400, "validation_error")


def test_a_redirect_is_never_followed(interviewer_client, settings):
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    seen = []

    class Redirect(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_PROPFIND(self):
            seen.append(self.path)
            self.send_response(301)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        r = connect(interviewer_client, f"http://127.0.0.1:{httpd.server_port}/dav/")
    finally:
        httpd.shutdown()
        httpd.server_close()
    error = assert_error(r, 400, "validation_error")
    assert "redirected" in error["fields"]["url"][0] and seen


def test_sync_reads_busy_time_with_recurrences_and_skips_free_and_cancelled(
        hr_client, interviewer_client, candidate, interviewer, server, ann_calendars):
    work, home = ann_calendars
    work.save_event(event("single", at(9), at(10)))
    # daily at 11-12 for three days; the second day's occurrence is cancelled, the third moved to 15-16
    work.save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:daily\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{stamp(at(11))}\r\n"
        f"DTEND:{stamp(at(12))}\r\nRRULE:FREQ=DAILY;COUNT=3\r\nSUMMARY:standup\r\nEND:VEVENT\r\n"
        f"BEGIN:VEVENT\r\nUID:daily\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:{stamp(at(11, day=1))}\r\n"
        f"DTSTART:{stamp(at(11, day=1))}\r\nDTEND:{stamp(at(12, day=1))}\r\nSTATUS:CANCELLED\r\nSUMMARY:standup\r\n"
        "END:VEVENT\r\n"
        f"BEGIN:VEVENT\r\nUID:daily\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:{stamp(at(11, day=2))}\r\n"
        f"DTSTART:{stamp(at(15, day=2))}\r\nDTEND:{stamp(at(16, day=2))}\r\nSUMMARY:standup\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n")
    work.save_event(event("free-time", at(13), at(14), "TRANSP:TRANSPARENT\r\n"))
    work.save_event(event("called-off", at(14), at(15), "STATUS:CANCELLED\r\n"))
    home.save_event(event("dentist", at(16), at(17)))
    assert connect(interviewer_client, server).status_code == 201
    choose(interviewer_client, work, busy=work)  # home is not read

    r = interviewer_client.post("/api/v1/integrations/caldav/sync")
    assert r.status_code == 200 and r.json()["last_error"] == "" and r.json()["last_synced"], r.content
    periods = sorted(BusyPeriod.objects.filter(user=interviewer, source="caldav").values_list("start", "end"))
    assert periods == [(at(9), at(10)), (at(11), at(12)), (at(15, day=2), at(16, day=2))]

    free(candidate, 8, 13)
    free(interviewer, 8, 13)
    assert slot_starts(hr_client, candidate, [interviewer]) == ["08:00", "10:00", "12:00"]

    # the same answer when the server is not asked to expand: the parser expands the master
    connection = CalDAVConnection.objects.get(user=interviewer)
    answer = caldav_read_busy(connection, at(0), at(0, day=3), server_expand=False)
    assert sorted(answer.busy[str(work.url)]) == periods


def test_busy_blocks_are_vevents_with_a_stable_uid(hr_client, interviewer_client, candidate, interviewer, server,
                                                   ann_calendars, django_capture_on_commit_callbacks):
    work, home = ann_calendars
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    assert connect(interviewer_client, server).status_code == 201
    choose(interviewer_client, work, home, busy=home)
    with django_capture_on_commit_callbacks(execute=True):
        interview_id = book(hr_client, candidate, [interviewer], 10, title="Backend").json()["id"]

    def blocks():
        found = []
        for item in home.events():
            for component in Calendar.from_ical(item.data).walk("VEVENT"):
                found.append(component)
        return found

    [block] = blocks()
    uid = str(block["UID"])
    assert block.decoded("DTSTART") == at(10) and block.decoded("DTEND") == at(11)
    assert int(block["SEQUENCE"]) == 0 and str(block["CLASS"]) == "PRIVATE" and str(block["TRANSP"]) == "OPAQUE"
    assert str(block["X-INTERVIEW-ID"]) == str(interview_id) and "Backend" in str(block["SUMMARY"])
    assert work.events() == []

    with django_capture_on_commit_callbacks(execute=True):
        assert hr_client.patch(f"/api/v1/interviews/{interview_id}/", {"start": iso(11)}, format="json").status_code == 200
    [moved] = blocks()
    assert str(moved["UID"]) == uid and int(moved["SEQUENCE"]) == 1 and moved.decoded("DTSTART") == at(11)
    assert busy_block_sync(interview_id=interview_id, user_id=interviewer.pk, provider="caldav") == "updated"
    assert len(blocks()) == 1

    # our own block is read back by a sync, but is the interview's time, not extra busy time
    choose(interviewer_client, work, home, busy=home)
    assert caldav_sync(user_id=interviewer.pk) == "synced"
    assert not BusyPeriod.objects.filter(user=interviewer, source="caldav").exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert hr_client.post(f"/api/v1/interviews/{interview_id}/cancel").status_code == 200
    assert blocks() == []
    assert busy_block_sync(interview_id=interview_id, user_id=interviewer.pk, provider="caldav") == "already gone"
    assert Interview.objects.get(pk=interview_id).status == "cancelled"


def test_a_changed_password_marks_the_connection_broken_and_keeps_the_last_busy_time(
        interviewer_client, interviewer, server, ann_calendars):
    work, _ = ann_calendars
    work.save_event(event("single", at(9), at(10)))
    assert connect(interviewer_client, server).status_code == 201
    choose(interviewer_client, work, busy=work)
    assert caldav_sync(user_id=interviewer.pk) == "synced"
    CalDAVConnection.objects.filter(user=interviewer).update(password_encrypted=encrypt("the-old-password"))

    r = interviewer_client.post("/api/v1/integrations/caldav/sync")
    body = r.json()
    assert body["status"] == "broken" and body["connected"] is False and "app password" in body["last_error"]
    assert list(BusyPeriod.objects.filter(user=interviewer, source="caldav").values_list("start", "end")) == [
        (at(9), at(10))]
    # connecting again with the right password repairs it
    assert connect(interviewer_client, server).status_code == 201
    assert interviewer_client.get("/api/v1/integrations/caldav").json()["status"] == "active"


def test_choosing_calendars_and_disconnecting(interviewer_client, interviewer, server, ann_calendars):
    work, home = ann_calendars
    home.save_event(event("dentist", at(16), at(17)))
    assert connect(interviewer_client, server).status_code == 201
    assert caldav_sync(user_id=interviewer.pk) == "synced"
    assert BusyPeriod.objects.filter(user=interviewer, source="caldav").count() == 1
    for body in ({"calendars": ["http://127.0.0.1:1/elsewhere/"]}, {"calendars": []}, {"calendars": "x"},
                 {"calendars": [str(work.url)], "busy_calendar": "http://127.0.0.1:1/x/"}):
        assert_error(interviewer_client.patch("/api/v1/integrations/caldav", body, format="json"), 400,
                     "validation_error")
    choose(interviewer_client, work)  # home is no longer read: its busy time goes at once
    assert not BusyPeriod.objects.filter(user=interviewer, source="caldav").exists()
    assert interviewer_client.delete("/api/v1/integrations/caldav").status_code == 204
    assert not CalDAVConnection.objects.exists()
    assert_error(interviewer_client.get("/api/v1/integrations/caldav"), 404, "not_found")


def _book_against_caldav(base, hr_client, candidate, interviewer, settings, monkeypatch):
    """A booking of an interviewer whose CalDAV server is at ``base`` (never synced), with a 1 s budget:
    (the response, the seconds it took, the syncs left to the worker)."""
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.CALENDAR_BOOKING_BUDGET_SECONDS = 1.0
    queued = []
    monkeypatch.setattr("integrations.caldav.services.async_task", lambda *args: queued.append(args))
    free(candidate, 9, 13)
    free(interviewer, 9, 13)
    CalDAVConnection.objects.create(user=interviewer, url=base + "/dav/", username="ann",
                                    password_encrypted=encrypt("pw"), calendars=[base + "/dav/cal/"],
                                    busy_calendar=base + "/dav/cal/")
    started = time.monotonic()
    r = book(hr_client, candidate, [interviewer], 10)
    return r, time.monotonic() - started, queued


def test_a_silent_caldav_server_holds_a_booking_no_longer_than_the_budget(
        hr_client, candidate, interviewer, settings, monkeypatch):
    with silent_server() as (silent, held):
        r, elapsed, queued = _book_against_caldav(silent, hr_client, candidate, interviewer, settings, monkeypatch)
    assert r.status_code == 201, r.content
    assert elapsed < 1.0 + 2.0, elapsed
    assert held and queued == [("integrations.tasks.sync_calendar", "caldav", interviewer.pk)]
    assert "time" in CalDAVConnection.objects.get(user=interviewer).last_error  # in time, or the time allowed


def test_a_caldav_server_dripping_its_answer_holds_a_booking_no_longer_than_the_budget(
        hr_client, candidate, interviewer, settings, monkeypatch):
    """Each read gets a byte within its timeout, so timeouts alone never end the answer (before the cut-off a
    booking waited as long as the server dripped); the connection is shut when the budget is spent."""
    with dripping_server(every=0.05, lasting=3.0) as (dripping, sent):
        r, elapsed, queued = _book_against_caldav(dripping, hr_client, candidate, interviewer, settings, monkeypatch)
        time.sleep(0.5)  # the server's next sends meet the shut connection
        sent_after_booking = sent[0]
        time.sleep(0.3)
        assert sent[0] == sent_after_booking, "the connection was left open: the server is still sending"
    assert r.status_code == 201, r.content
    assert sent_after_booking > 1.0 / 0.05 / 2, "the server did drip within the budget"
    assert elapsed < 1.0 + 1.0, elapsed  # uncut, it waited as long as the server dripped (6 s here)
    assert queued == [("integrations.tasks.sync_calendar", "caldav", interviewer.pk)]
    assert "time allowed" in CalDAVConnection.objects.get(user=interviewer).last_error


@pytest.mark.django_db
def test_the_workers_sync_of_a_dripping_server_is_cut_off_too(interviewer, settings, monkeypatch):
    """No deadline in the worker, but each operation is cut after OPERATION_SECONDS (a drip held a worker
    until the task queue's own timeout killed it, five tries in a row)."""
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    monkeypatch.setattr(caldav_client, "OPERATION_SECONDS", 1.0)
    with dripping_server(every=0.05, lasting=3.0) as (dripping, sent):
        CalDAVConnection.objects.create(user=interviewer, url=dripping + "/dav/", username="ann",
                                        password_encrypted=encrypt("pw"), calendars=[dripping + "/dav/cal/"],
                                        busy_calendar=dripping + "/dav/cal/")
        started = time.monotonic()
        assert caldav_sync(user_id=interviewer.pk) == "failed"
        elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 1.0, elapsed  # uncut: 6 s here
    assert sent[0] > 5 and "time allowed" in CalDAVConnection.objects.get(user=interviewer).last_error


def _first_answered_then_dripped(conn, stop, count):
    """Keep-alive: each request on the connection read whole; the first of all answered (an empty multistatus),
    every later one dripped a byte every 50 ms for 3 s."""
    empty = b'<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:"/>'
    with conn:
        conn.settimeout(10)
        while not stop.is_set():
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                body += conn.recv(65536)
            count.append(head.split(b"\r\n")[0])
            if len(count) == 1:
                conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(empty), empty))
                continue
            for byte in b"HTTP/1.1 207 Multi-Status\r\nX-Slow: " + b"a" * 60:
                if stop.wait(0.05):
                    return
                conn.sendall(bytes([byte]))
            return


def test_a_kept_alive_connection_is_cut_off_too():
    """Two calendars read over one client: the second request would go over the first's kept-alive connection,
    opened (and watched) under the first calendar's cut-off. No connection outlives its operation, so the
    second is a new one, watched by the second's (uncut, it waited 4.8 s against a 1 s deadline)."""
    from core.calendar_providers import BudgetExhausted, Deadline

    requests_seen = []
    handle = lambda conn, stop: threading.Thread(  # noqa: E731
        target=_first_answered_then_dripped, args=(conn, stop, requests_seen), daemon=True).start()
    with loopback_server(handle) as base:
        policy = ical_fetch_policy()
        started = time.monotonic()
        with pytest.raises(BudgetExhausted):
            caldav_client.read_busy(caldav_client.Account(base + "/dav/", "ann", "pw"),
                                    [base + "/dav/a/", base + "/dav/b/"], at(0), at(1), parse=lambda content: [],
                                    policy=policy, deadline=Deadline.within(1.0))
        elapsed = time.monotonic() - started
    assert [line.split()[:2] for line in requests_seen] == [[b"REPORT", b"/dav/a/"], [b"REPORT", b"/dav/b/"]]
    assert elapsed < 1.0 + 1.0, elapsed


def _flood(conn, stop, sent: list[int]):
    """Reads the request, then answers 207 with an endless body as fast as the client takes it."""
    with conn:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n"
                         b"<d:multistatus xmlns:d='DAV:'>")
            chunk = b"<d:response/>" * 5000
            while not stop.is_set():
                conn.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:  # the client hung up
            return


def test_an_endless_answer_is_refused_at_the_size_cap_not_read_into_memory():
    """Without a cap the client read the whole answer into memory until the operation's time ran out: at
    loopback speed, gigabytes in a minute. It stops past twice the import's size cap, at once."""
    from core.calendar_providers import Deadline

    sent = [0]
    handle = lambda conn, stop: threading.Thread(  # noqa: E731
        target=_flood, args=(conn, stop, sent), daemon=True).start()
    policy = ical_fetch_policy()
    refusal = "The CalDAV server's answer is larger than 195 KiB."
    with loopback_server(handle) as base:
        account = caldav_client.Account(base + "/dav/", "ann", "pw")
        started = time.monotonic()
        with pytest.raises(caldav_client.CalDAVError, match=refusal) as refused:
            caldav_client.discover(account, policy, Deadline.within(5))
        assert refused.value.permanent
        answer = caldav_client.read_busy(account, [base + "/dav/a/"], at(0), at(1), parse=lambda content: [],
                                         policy=policy, deadline=Deadline.within(5))
        elapsed = time.monotonic() - started
    assert answer.errors == {base + "/dav/a/": refusal} and answer.busy == {}  # that calendar cannot be read
    assert elapsed < 2, elapsed
    assert sent[0] > policy.max_bytes * caldav_client.ANSWER_SIZE_FACTOR  # the server did send more than the cap


def test_an_answer_that_is_not_the_xml_it_says_is_a_clear_error_not_a_500(interviewer_client, settings):
    """lxml's XMLSyntaxError (a SyntaxError, not a ValueError) came out of the library unmapped."""
    settings.ICAL_URL_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    body = b"<d:multistatus xmlns:d='DAV:'><d:response>"  # cut short

    def broken(conn, stop):
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(body), body))

    handle = lambda conn, stop: threading.Thread(target=broken, args=(conn, stop), daemon=True).start()  # noqa: E731
    with loopback_server(handle) as base:
        with pytest.raises(caldav_client.CalDAVError, match="answer could not be read: XMLSyntaxError"):
            caldav_client.discover(caldav_client.Account(base + "/dav/", "ann", "pw"), ical_fetch_policy())
        r = interviewer_client.post("/api/v1/integrations/caldav", {"url": base + "/dav/", "username": "ann",
                                                                    "password": "pw"}, format="json")
    error = assert_error(r, 400, "validation_error")
    assert "could not be read" in error["fields"]["url"][0]


def ical_fetch_policy():
    from integrations.ical.fetch import Policy

    return Policy(max_bytes=100_000, timeout=5, allowed_networks=("127.0.0.1/32",))


def test_timeouts_come_from_the_deadline(settings):
    from core.calendar_providers import BudgetExhausted, Deadline

    assert Deadline().timeout(caldav_client.TIMEOUT_SECONDS) == caldav_client.TIMEOUT_SECONDS
    assert 0 < Deadline.within(2).timeout(caldav_client.TIMEOUT_SECONDS) <= 2
    with pytest.raises(BudgetExhausted):
        Deadline.within(0).timeout(5)
    assert timedelta(seconds=Deadline.within(100).timeout(7)) == timedelta(seconds=7)


def test_the_admin_never_shows_the_password(client, hr, interviewer):
    connection = CalDAVConnection.objects.create(user=interviewer, url="https://caldav.example.test/", username="ann",
                                                 password_encrypted=encrypt("s3cret-app-password"))
    client.force_login(hr)
    for page in ("/admin/integrations/caldavconnection/", f"/admin/integrations/caldavconnection/{connection.pk}/change/"):
        r = client.get(page)
        assert r.status_code == 200
        assert b"s3cret-app-password" not in r.content and connection.password_encrypted.encode() not in r.content


def test_a_password_no_key_decrypts_marks_the_connection_broken(interviewer, settings):
    connection = CalDAVConnection.objects.create(user=interviewer, url="https://dav.example.test/", username="ann",
                                                 password_encrypted="gAAAAA-not-ours", calendars=["x"])
    assert caldav_sync(user_id=interviewer.pk) == "broken"
    connection.refresh_from_db()
    assert connection.status == "broken" and "app password" in connection.last_error
