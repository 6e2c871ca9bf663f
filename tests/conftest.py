from hypothesis import settings

# Timing is measured in bench/, never in tests: no per-example deadline on a shared machine.
settings.register_profile("spinemets", deadline=None, max_examples=150)
settings.load_profile("spinemets")
