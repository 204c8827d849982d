from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Organisations and accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_save, pre_save

        from core import socket_sessions
        from core.models import User

        # Sockets end with the sign-in (core/socket_sessions.py).
        user_logged_out.connect(socket_sessions.on_user_logged_out, dispatch_uid="core.sockets.logged_out")
        pre_save.connect(socket_sessions.on_user_pre_save, sender=User, dispatch_uid="core.sockets.user_pre")
        post_save.connect(socket_sessions.on_user_post_save, sender=User, dispatch_uid="core.sockets.user_post")
