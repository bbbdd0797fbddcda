"""Invalidate precomputed kitchen views when their inputs change (any writer: services, admin, shell)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from kitchen.models import Chef, Ingredient, Recipe, RecipeIngredient
from kitchen.overview import bump_overview_version


def _bump(**kwargs) -> None:
    transaction.on_commit(bump_overview_version, robust=True)


def connect() -> None:
    for model in (Recipe, RecipeIngredient, Ingredient, Chef):
        post_save.connect(_bump, sender=model, dispatch_uid=f"overview-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"overview-delete-{model.__name__}")
    m2m_changed.connect(_bump, sender=Recipe.collaborators.through, dispatch_uid="overview-collaborators")
