from rest_framework.permissions import BasePermission


class IsHR(BasePermission):
    message = "Only HR may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_superuser)
