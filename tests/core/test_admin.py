import pytest

from tests.scheduling.helpers import book, free

pytestmark = pytest.mark.django_db

PAGES = ["core/user", "core/authtoken", "slots/availabilitywindow", "slots/weeklyrule", "slots/busyperiod",
         "slots/interviewerpolicy", "scheduling/interview", "scheduling/interviewrequest", "scheduling/invitedelivery",
         "integrations/calendarsource", "integrations/googleconnection"]


@pytest.mark.parametrize("page", PAGES)
def test_hr_sees_each_admin_list(client, hr, hr_client, candidate, interviewer, page):
    free(candidate, 9, 12)
    free(interviewer, 9, 12)
    book(hr_client, candidate, [interviewer], 10)
    client.force_login(hr)
    assert client.get(f"/admin/{page}/").status_code == 200
    assert client.get(f"/admin/{page}/1/change/").status_code in (200, 302)


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
