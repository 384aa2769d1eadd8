import factory

from core.models import Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.CANDIDATE
    timezone = "UTC"
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CandidateFactory(UserFactory):
    role = Role.CANDIDATE


class InterviewerFactory(UserFactory):
    role = Role.INTERVIEWER


class HRFactory(UserFactory):
    role = Role.HR
    is_superuser = True
    is_staff = True
