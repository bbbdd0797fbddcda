"""Invalidate precomputed kitchen views when their inputs change (any writer: services, admin, shell)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from kitchen.models import Chef, Ingredient, Recipe, RecipeIngredient
from kitchen.overview import bump_overview_version


def _bump(**kwargs) -> None:
    transaction.on_commit(bump_overview_version, robust=True)


def _recipe_deleted(instance: Recipe, **kwargs) -> None:
    """Whoever deletes a recipe (service, admin, shell), its open editors are closed with 4404."""
    from kitchen.collab.store import document_control_on_commit

    document_control_on_commit(recipe_id=instance.pk, event={"deleted": True})


def _collaborators_changed(instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A chef taken off a recipe's collaborators (service or admin) loses edit access at once: the
    recipe's rooms re-check the named users after commit (a user still allowed keeps the socket)."""
    from kitchen.collab.store import document_control_on_commit

    if action not in ("post_remove", "pre_clear"):
        return
    if reverse:  # chef.shared_recipes changed: instance is the chef
        recipe_ids = pk_set if action == "post_remove" else set(instance.shared_recipes.values_list("pk", flat=True))
        for recipe_id in recipe_ids or ():
            document_control_on_commit(recipe_id=recipe_id, event={"access": [instance.user_id]})
        return
    if action == "pre_clear":
        users = list(instance.collaborators.values_list("user_id", flat=True))
    else:
        users = list(Chef.objects.filter(pk__in=pk_set or ()).values_list("user_id", flat=True))
    if users:
        document_control_on_commit(recipe_id=instance.pk, event={"access": users})


def connect() -> None:
    for model in (Recipe, RecipeIngredient, Ingredient, Chef):
        post_save.connect(_bump, sender=model, dispatch_uid=f"overview-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"overview-delete-{model.__name__}")
    m2m_changed.connect(_bump, sender=Recipe.collaborators.through, dispatch_uid="overview-collaborators")
    post_delete.connect(_recipe_deleted, sender=Recipe, dispatch_uid="collab-recipe-deleted")
    m2m_changed.connect(
        _collaborators_changed, sender=Recipe.collaborators.through, dispatch_uid="collab-collaborators"
    )
