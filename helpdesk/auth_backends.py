"""The sign-in backend: Django's ModelBackend, loading the staff profile with the user.

Every staff page asks `user.is_manager` (the profile's role); loading the profile in the same
query as the user saves one query per request. Sign-in itself is unchanged: django-axes'
AxesStandaloneBackend stays first in AUTHENTICATION_BACKENDS and refuses locked-out
credentials before this backend checks the password.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ModelBackendWithProfile(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        """Return the active user with their staff profile (None for customers), or None."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("staff_profile").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
