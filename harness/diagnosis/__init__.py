"""Diagnosis: from a failing verdict to the bug in the student's terms (causes, wrong
formulas and layer rules, shrinking, ablation, maps, the fix list)."""
