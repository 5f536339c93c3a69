"""City systems that file through Open311: their API keys, shown once and stored hashed."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _


class Integration(models.Model):
    """An Open311 client (a city system, an app). Its API key is stored hashed."""

    name = models.CharField(_("name"), max_length=200)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(max_length=12, editable=False, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 integration")
        verbose_name_plural = _("Open311 integrations")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_key(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @classmethod
    def ensure(cls, *, name: str, raw_key: str) -> Integration:
        found, _created = cls.objects.get_or_create(
            key_hash=cls.hash_key(raw_key), defaults={"name": name, "key_hint": raw_key[:4]}
        )
        return found

    @classmethod
    def for_key(cls, raw_key: str) -> Integration | None:
        if not raw_key or len(raw_key) > 200:
            return None
        return cls.objects.filter(key_hash=cls.hash_key(raw_key), active=True).first()
