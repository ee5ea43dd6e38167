from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A sign-in account. What the user may see follows from the Person linked to it (org app)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
