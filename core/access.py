"""Who a request acts for: HR may name any user, everyone else only themselves."""

from django.shortcuts import get_object_or_404
from rest_framework.exceptions import NotFound, ValidationError

from core.models import Role, User

MAX_PANEL = 10


def _parse_id(value, field: str) -> int:
    try:
        parsed = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: ["A user id (a whole number) is required."]}) from None
    if not 0 < parsed < 2**63:
        raise ValidationError({field: ["A user id (a whole number) is required."]})
    return parsed


def acting_for(request, user_id, *, field: str = "user") -> User:
    """The user a write is for: the caller, or for HR the user named (which HR must name)."""
    if request.user.is_superuser:
        if user_id in (None, ""):
            raise ValidationError({field: ["HR must name the user this is for."]})
        user = get_object_or_404(User, pk=_parse_id(user_id, field))
        if user.is_superuser:
            raise ValidationError({field: ["HR accounts have no calendar of their own; name a candidate or interviewer."]})
        return user
    if user_id not in (None, "") and _parse_id(user_id, field) != request.user.pk:
        raise NotFound()
    return request.user


def listing_scope(request, user_id, *, field: str = "user") -> int | None:
    """The user id a listing is limited to; None means everyone (HR only)."""
    if request.user.is_superuser:
        return None if user_id in (None, "") else _parse_id(user_id, field)
    if user_id not in (None, "") and _parse_id(user_id, field) != request.user.pk:
        raise NotFound()
    return request.user.pk


def participants(candidate_id, interviewer_ids) -> tuple[User, list[User]]:
    """The candidate and the interviewers of a slot search or booking, in one query.

    An id that is no user is a 404; a user of the wrong role in a place is a 400.
    """
    return participants_of(*participant_ids(candidate_id, interviewer_ids))


def participant_ids(candidate_id, interviewer_ids) -> tuple[int, list[int]]:
    """The candidate's id and the panel's, each listed once, as far as they can be checked without the
    database (400)."""
    if candidate_id in (None, ""):
        raise ValidationError({"candidate": ["A candidate id is required."]})
    if not interviewer_ids:
        raise ValidationError({"interviewers": ["At least one interviewer id is required."]})
    if len(interviewer_ids) > MAX_PANEL:
        raise ValidationError({"interviewers": [f"A panel has at most {MAX_PANEL} interviewers."]})
    return _parse_id(candidate_id, "candidate"), list(dict.fromkeys(_parse_id(i, "interviewers") for i in interviewer_ids))


def participants_of(cand_id: int, panel_ids: list[int]) -> tuple[User, list[User]]:
    """``participants`` for ids already parsed (``participant_ids``): the users, in one query."""
    users = User.objects.in_bulk([cand_id, *panel_ids])
    for user_id in [cand_id, *panel_ids]:
        if user_id not in users:
            raise NotFound(f"There is no user {user_id}.")
    candidate = users[cand_id]
    if candidate.effective_role != Role.CANDIDATE or not candidate.is_active:
        raise ValidationError({"candidate": [f"User {cand_id} is not an active candidate."]})
    panel = [users[i] for i in panel_ids]
    wrong = [u.pk for u in panel if u.effective_role != Role.INTERVIEWER or not u.is_active]
    if wrong:
        raise ValidationError({"interviewers": [f"User {i} is not an active interviewer." for i in wrong]})
    return candidate, panel


MAX_POOL = 50


def pool_members(pool_ids, *, taken: list[int], field: str = "pool") -> list[User]:
    """The interviewers of a pool, in one query: each listed once, none already on the panel (400), all
    existing (404) active interviewers (400)."""
    return pool_members_of(pool_member_ids(pool_ids, taken=taken, field=field), field=field)


def pool_member_ids(pool_ids, *, taken: list[int], field: str = "pool") -> list[int]:
    """A pool's ids, as far as they can be checked without the database (400)."""
    if len(pool_ids) > MAX_POOL:
        raise ValidationError({field: [f"A pool has at most {MAX_POOL} interviewers."]})
    ids = [_parse_id(i, field) for i in pool_ids]
    if len(set(ids)) != len(ids):
        raise ValidationError({field: ["A pool lists each interviewer once."]})
    clash = sorted(set(ids) & set(taken))
    if clash:
        raise ValidationError({field: [f"User {pk} is already in this search; list each person once." for pk in clash]})
    return ids


def pool_members_of(ids: list[int], *, field: str = "pool") -> list[User]:
    """``pool_members`` for ids already checked (``pool_member_ids``): the users, in one query."""
    users = User.objects.in_bulk(ids)
    for user_id in ids:
        if user_id not in users:
            raise NotFound(f"There is no user {user_id}.")
    wrong = [pk for pk in ids if users[pk].effective_role != Role.INTERVIEWER or not users[pk].is_active]
    if wrong:
        raise ValidationError({field: [f"User {pk} is not an active interviewer." for pk in wrong]})
    return [users[pk] for pk in ids]
