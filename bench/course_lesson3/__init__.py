"""The course's Lesson 3 async view, served as the course wrote it: a reference row for bench/async_views.py.

Not part of Brigade and never imported by it. It reproduces what the issue measured ("the course's
own Lesson 3 code under Django 5.2: about 3.7 ms of server CPU per request"), so each run of the
benchmark also measures that reference on the machine of the day, next to Brigade's overview:
Django's stock ASGI handler and default middleware, ORM calls wrapped in ``sync_to_async``, and a
new ``aiohttp.ClientSession`` per request to the same 200 ms price stub. Adapted only where the
models differ (Brigade's recipe has an ``owner``, a chef linked to a user).
"""
