from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


async def arender(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """render() for async views: resolve the user first so templates never query from the loop."""
    request.user = await request.auser()
    return render(request, template, context, status=status)
