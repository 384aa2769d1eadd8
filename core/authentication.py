from rest_framework import authentication, exceptions

from core.tokens import user_for_key

FORMAT_HELP = ("The Authorization header must be 'Token <key>': the word Token, a space, then the key that "
               "POST /api/v1/auth/token answers.")


class CachedTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>``, resolved from the cache (see core.tokens)."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword.lower().encode() or len(header) != 2:
            # a bare key, "Bearer ...", "Token" alone: say what is expected rather than "no credentials"
            raise exceptions.AuthenticationFailed(FORMAT_HELP)
        try:
            key = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        if len(key) > 128:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        user = user_for_key(key)
        if user is None:
            raise exceptions.AuthenticationFailed("The token is not valid or has expired.")
        return user, key

    def authenticate_header(self, request):
        return self.keyword
