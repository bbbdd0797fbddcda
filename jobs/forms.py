from __future__ import annotations

from django import forms


class DemoJobForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=1000, initial=20)
    step_seconds = forms.DecimalField(min_value=0, max_value=2, decimal_places=2, initial="0.5")
