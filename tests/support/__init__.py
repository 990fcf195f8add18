"""Code the tests share: rigs' wrappers, fake back offices, UI drivers, fixtures.

Tests import it as `tests.support.<module>`; nothing under madoguchi's own packages imports it.
"""
