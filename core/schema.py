"""OpenAPI (drf-spectacular): how our token authentication is described."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class CachedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.CachedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication: "Token <key>", the key from POST /api/v1/auth/token.',
        }
