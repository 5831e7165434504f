"""`manage.py seed_scale --tickets N`: the benchmarks' data set; the code is tickets.demo.scale."""

from tickets.demo.scale import SeedScaleCommand


class Command(SeedScaleCommand):
    pass
