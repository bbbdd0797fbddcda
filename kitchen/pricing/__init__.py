"""Ingredient prices: providers, validation, units and recipe costing."""
