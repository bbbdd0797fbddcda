from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Unit(models.TextChoices):
    GRAM = "g", "gram"
    KILOGRAM = "kg", "kilogram"
    MILLILITRE = "ml", "millilitre"
    LITRE = "l", "litre"
    TEASPOON = "tsp", "teaspoon"
    TABLESPOON = "tbsp", "tablespoon"
    CUP = "cup", "cup"
    PIECE = "piece", "piece"
    PINCH = "pinch", "pinch"


class Chef(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chef")
    speciality = models.CharField(max_length=100, blank=True)
    experience_years = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(condition=Q(experience_years__lte=80), name="chef_experience_years_plausible"),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Category(models.Model):
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(Lower("name"), name="category_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class Recipe(models.Model):
    class Difficulty(models.TextChoices):
        EASY = "easy", "Easy"
        MEDIUM = "medium", "Medium"
        HARD = "hard", "Hard"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        COMPLETED = "completed", "Completed"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(Chef, on_delete=models.PROTECT, related_name="owned_recipes")
    collaborators = models.ManyToManyField(Chef, blank=True, related_name="shared_recipes")
    categories = models.ManyToManyField(Category, blank=True, related_name="recipes")
    servings = models.PositiveSmallIntegerField(default=1)
    prep_time = models.PositiveIntegerField(help_text="minutes", default=0)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Ingredient lines an import could not read as quantity, unit and ingredient, kept verbatim.
    unparsed_ingredients = models.JSONField(default=list, blank=True)
    # Set by an import: "<job id>:<record key>", unique, so no record is ever imported twice.
    import_key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "-updated_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(servings__gte=1), name="recipe_servings_positive"),
            models.CheckConstraint(condition=Q(prep_time__lte=7 * 24 * 60), name="recipe_prep_time_max_week"),
            models.CheckConstraint(
                condition=Q(difficulty__in=["easy", "medium", "hard"]), name="recipe_difficulty_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=["draft", "completed"]), name="recipe_status_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="recipe_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class RecipeCompletion(models.Model):
    """A recipe marked completed (draft to completed): the owner and collaborators are e-mailed once."""

    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE, related_name="completions")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.recipe_id} completed at {self.at:%Y-%m-%d %H:%M}"


class Ingredient(models.Model):
    name = models.CharField(max_length=100)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.GRAM, help_text="stock unit")
    stock = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("0"))
    current_price = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True, help_text="price per one stock unit"
    )
    currency = models.CharField(max_length=3, default="EUR")
    priced_at = models.DateTimeField(null=True, blank=True)
    open_prices_category = models.CharField(
        max_length=100, blank=True, help_text='Open Prices category tag, e.g. "en:butter"'
    )
    # Newest observations, when loaded by selectors.ingredients_with_history (a to_attr prefetch).
    recent: list[IngredientPrice]

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="ingredient_name_unique_ci"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="ingredient_stock_not_negative"),
            models.CheckConstraint(
                condition=Q(current_price__isnull=True) | Q(current_price__gt=0),
                name="ingredient_price_positive",
            ),
            models.CheckConstraint(
                condition=Q(current_price__isnull=True) | Q(priced_at__isnull=False),
                name="ingredient_price_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RecipeIngredient(models.Model):
    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE, related_name="recipe_ingredients")
    ingredient = models.ForeignKey(Ingredient, on_delete=models.PROTECT, related_name="recipe_lines")
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    note = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField()
    # The line's id in the recipe's shared document (kitchen/collab), once it has one.
    doc_id = models.CharField(max_length=64, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["recipe", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="recipe_ingredient_quantity_positive"),
            models.UniqueConstraint(fields=["recipe", "position"], name="recipe_ingredient_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} {self.ingredient}"


class Step(models.Model):
    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    # The step's id in the recipe's shared document (kitchen/collab).
    doc_id = models.CharField(max_length=64, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["recipe", "position"]
        constraints = [
            models.UniqueConstraint(fields=["recipe", "position"], name="step_position_unique"),
            models.CheckConstraint(condition=~Q(text=""), name="step_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text[:40]}"


class IngredientPrice(models.Model):
    """One accepted observation of an ingredient's price, as the provider reported it."""

    ingredient = models.ForeignKey(Ingredient, on_delete=models.CASCADE, related_name="prices")
    price = models.DecimalField(max_digits=12, decimal_places=4)
    currency = models.CharField(max_length=3)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    source = models.CharField(max_length=40)
    observed_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["ingredient", "-observed_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="ingredient_price_history_positive"),
            # A provider that reports the same observation twice records it once.
            models.UniqueConstraint(
                fields=["ingredient", "source", "observed_at"], name="ingredient_price_observation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ingredient_id}: {self.price} {self.currency}/{self.unit} ({self.source})"


class RecipeDocument(models.Model):
    """A recipe's shared Yjs document (kitchen/collab): a snapshot plus the updates stored after it.

    One per recipe, built from its rows exactly once: the one-to-one column is the unique
    constraint that makes a second, concurrent build fail instead of duplicating content.
    """

    recipe = models.OneToOneField(Recipe, on_delete=models.CASCADE, related_name="document")
    snapshot = models.BinaryField()  # the whole document's state at snapshot_seq
    snapshot_seq = models.BigIntegerField(default=0)
    last_seq = models.BigIntegerField(default=0)  # the newest stored update's seq
    written_seq = models.BigIntegerField(default=0)  # the newest seq written back to the rows
    # The last write-back's findings: fields it could not take, lines naming no known ingredient.
    report = models.JSONField(default=dict, blank=True)
    # The rows' content when rows and document last agreed (build, write-back, change from
    # elsewhere): a change made elsewhere applies to the document only what differs from it.
    written_content = models.JSONField(default=dict, blank=True)
    # Users whose updates were folded into the snapshot since the last saved version.
    authors_pending = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(snapshot_seq__lte=models.F("last_seq")), name="document_snapshot_seq"),
            models.CheckConstraint(condition=Q(written_seq__lte=models.F("last_seq")), name="document_written_seq"),
        ]

    def __str__(self) -> str:
        return f"document of recipe {self.recipe_id} at {self.last_seq}"


class RecipeDocumentUpdate(models.Model):
    """One accepted update, stored before anyone else sees it; folded into the snapshot later."""

    document = models.ForeignKey(RecipeDocument, on_delete=models.CASCADE, related_name="updates")
    seq = models.BigIntegerField()
    update = models.BinaryField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "seq"]
        constraints = [models.UniqueConstraint(fields=["document", "seq"], name="document_update_seq_unique")]

    def __str__(self) -> str:
        return f"update {self.seq} of document {self.document_id}"


class RecipeVersion(models.Model):
    """A saved version of a recipe's document, for its history page."""

    class Reason(models.TextChoices):
        EDITS = "edits", "Edits"
        SAVED = "saved", "Saved by hand"
        RESTORE = "restore", "Restored"
        COMPLETED = "completed", "Completed"

    recipe = models.ForeignKey(Recipe, on_delete=models.CASCADE, related_name="versions")
    seq = models.BigIntegerField()
    state = models.BinaryField()
    content = models.JSONField()
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.EDITS)
    created_at = models.DateTimeField(auto_now_add=True)
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    # Who saved it by hand or restored an older one (None: kept after edits).
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    restored_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipe", "seq"], name="recipe_version_seq_unique")]

    def __str__(self) -> str:
        return f"version {self.seq} of recipe {self.recipe_id}"
