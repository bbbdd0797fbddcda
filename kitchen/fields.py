"""The value types of recipe data, as the API, the importer and anything else check them."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from core.api import Text, positive_decimal
from kitchen.forms import MAX_STEP_LENGTH

UnitCode = Literal["g", "kg", "ml", "l", "tsp", "tbsp", "cup", "piece", "pinch"]
Difficulty = Literal["easy", "medium", "hard"]
RecipeStatus = Literal["draft", "completed"]
Step = Annotated[Text, Field(min_length=1, max_length=MAX_STEP_LENGTH)]
if TYPE_CHECKING:  # both arrive as JSON strings and are validated into Decimals
    Quantity = Decimal
    Price = Decimal
else:
    Quantity = positive_decimal(integer_digits=7, decimal_places=3)  # the column: 10 digits, 3 decimals
    Price = positive_decimal(integer_digits=4, decimal_places=4, or_exactly=10_000)  # above 10,000 is absurd
