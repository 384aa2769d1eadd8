import pytest

from tests.scheduling.helpers import at, book, free

pytestmark = pytest.mark.django_db

PAGES = ["core/user", "core/authtoken", "slots/availabilitywindow", "slots/weeklyrule", "slots/busyperiod",
         "slots/interviewerpolicy", "scheduling/interview", "scheduling/interviewrequest", "scheduling/invitedelivery",
         "integrations/calendarsource", "integrations/googleconnection"]


@pytest.mark.parametrize("page", PAGES)
def test_hr_sees_each_admin_list_and_change_page(client, hr, hr_client, candidate, interviewer, page):
    from django.apps import apps

    from integrations.models import CalendarSource, GoogleConnection
    from scheduling.models import InterviewRequest
    from slots.models import InterviewerPolicy, WeeklyRule

    free(candidate, 9, 12)
    free(interviewer, 9, 12)
    book(hr_client, candidate, [interviewer], 10)
    WeeklyRule.objects.create(user=interviewer, weekdays=[0], start_time="09:00", end_time="12:00", timezone="UTC")
    InterviewerPolicy.objects.create(user=interviewer)
    CalendarSource.objects.create(user=candidate, name="work.ics")
    GoogleConnection.objects.create(user=interviewer, refresh_token_encrypted="x")
    request = InterviewRequest.objects.create(candidate=candidate, window_start=at(0), window_end=at(0, day=1))
    request.interviewers.set([interviewer])

    client.force_login(hr)
    assert client.get(f"/admin/{page}/").status_code == 200
    row = apps.get_model(*page.split("/")).objects.order_by("pk").first()
    assert row is not None
    assert client.get(f"/admin/{page}/{row.pk}/change/").status_code == 200


def test_admin_can_add_a_user(client, hr):
    client.force_login(hr)
    r = client.post("/admin/core/user/add/", {"email": "new@example.com", "role": "interviewer", "timezone": "UTC",
                                              "password1": "a sturdy passphrase", "password2": "a sturdy passphrase",
                                              "usable_password": "true"})
    assert r.status_code == 302
    from core.models import User

    assert User.objects.get(email="new@example.com").check_password("a sturdy passphrase")


def test_non_hr_cannot_use_the_admin(client, candidate):
    client.force_login(candidate)
    assert client.get("/admin/core/user/").status_code == 302
