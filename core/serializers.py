from rest_framework import serializers

from core.models import User


class UserSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="effective_role", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "timezone"]
        read_only_fields = fields
