"""The cheap async request path: Django's handler, middleware, Redis cache and sessions without
thread hops, and per-process near caches. An optimisation, never a requirement: with
`FASTPATH=0` Brigade runs on Django's stock handler, middleware, cache and sessions. The private
Django and asgiref names it relies on are listed, and their upstream source fingerprinted, in
core/upstream.py."""
