"""Real-world data of PALMARES-2: lines of therapy, comorbidities, collected items, survival by
drug and the retrospective import. Part of the ``outcomes`` app."""
