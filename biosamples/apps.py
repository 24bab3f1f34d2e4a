from django.apps import AppConfig


class BiosamplesConfig(AppConfig):
    name = "biosamples"
    verbose_name = "Liquid-biopsy samples"
