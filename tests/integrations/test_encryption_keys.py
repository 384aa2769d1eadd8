"""FIELD_ENCRYPTION_KEYS: several Fernet keys, newest first. Old ciphertexts still decrypt and are re-encrypted
under the newest key on the next write; a value no key decrypts marks the grant broken, never empties it."""

import pytest
from cryptography.fernet import Fernet

from integrations.google import crypto
from integrations.google.services import google_sync
from integrations.models import GoogleConnection
from ops.system_checks import encryption_keys
from tests.integrations.test_google import connect, google  # noqa: F401 (fixture)

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))


def only(key: str) -> Fernet:
    return Fernet(key.encode())


def test_newest_key_encrypts_and_every_key_decrypts(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    old_cipher = crypto.encrypt("refresh-1")
    assert crypto.is_current(old_cipher)

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert crypto.decrypt(old_cipher) == "refresh-1"
    assert not crypto.is_current(old_cipher)
    new_cipher = crypto.encrypt("refresh-1")
    assert crypto.is_current(new_cipher)
    assert only(NEW).decrypt(new_cipher.encode()) == b"refresh-1"

    settings.FIELD_ENCRYPTION_KEYS = [OTHER]
    with pytest.raises(crypto.Undecryptable, match="FIELD_ENCRYPTION_KEYS"):
        crypto.decrypt(old_cipher)
    assert crypto.decrypt("") == ""


def test_without_keys_one_is_derived_from_the_secret_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_ENCRYPTION_KEY = ""
    cipher = crypto.encrypt("x")
    assert crypto.decrypt(cipher) == "x"
    settings.SECRET_KEY = "another-secret-" + "k" * 40
    with pytest.raises(crypto.Undecryptable):
        crypto.decrypt(cipher)


def test_a_malformed_key_fails_the_startup_check(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, "not-a-fernet-key"]
    errors = encryption_keys(None)
    assert [e.id for e in errors] == ["ops.E001"]
    assert "item 2" in errors[0].msg
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert encryption_keys(None) == []


@pytest.mark.django_db
def test_rotation_re_encrypts_the_grant_on_its_next_use(settings, interviewer_client, interviewer, google):  # noqa: F811
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    connect(interviewer_client, google)
    before = GoogleConnection.objects.get(user=interviewer)
    refresh = only(OLD).decrypt(before.refresh_token_encrypted.encode()).decode()

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert google_sync(user_id=interviewer.pk) == "synced"
    after = GoogleConnection.objects.get(user=interviewer)
    assert after.status == "active"
    # now under the newest key alone: the old key can be dropped
    assert only(NEW).decrypt(after.refresh_token_encrypted.encode()).decode() == refresh
    assert only(NEW).decrypt(after.access_token_encrypted.encode())

    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert google_sync(user_id=interviewer.pk) == "synced"


@pytest.mark.django_db
def test_a_grant_no_key_decrypts_is_marked_broken_with_a_message(settings, interviewer_client, interviewer,
                                                                  google):  # noqa: F811
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    connect(interviewer_client, google)
    stored = GoogleConnection.objects.get(user=interviewer).refresh_token_encrypted

    settings.FIELD_ENCRYPTION_KEYS = [OTHER]
    assert google_sync(user_id=interviewer.pk) == "broken"  # (the providers say "broken" for a dead grant)
    connection = GoogleConnection.objects.get(user=interviewer)
    assert connection.status == "broken"
    assert "FIELD_ENCRYPTION_KEYS" in connection.last_error
    assert connection.refresh_token_encrypted == stored  # kept, not emptied: putting the key back restores it
    answer = interviewer_client.get("/api/v1/integrations/google").json()
    assert answer["status"] == "broken" and "FIELD_ENCRYPTION_KEYS" in answer["last_error"]
    # disconnecting still works (nothing to revoke at Google)
    assert interviewer_client.delete("/api/v1/integrations/google").status_code == 204
    assert not GoogleConnection.objects.filter(user=interviewer).exists()
