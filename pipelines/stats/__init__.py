"""Evaluation statistics for the pilot interventions (EEF conventions).

Pure functions: a DataFrame (or numbers) in, a Polars DataFrame (or numbers) out; no files are
written and nothing depends on Dagster. Each function's docstring names the formula's source;
the methods are summarised in `shared/methods/README.md` (EEF analysis guidance, Hedges 2007).

Modules:
    effect_sizes   Hedges' g for individual and cluster randomised trials (ITT)
    binary         risk difference, odds ratio and the Cox index for binary outcomes
    power          minimum detectable effect size (MDES)
    attrition      attrition by arm, overall and differential
    balance        baseline balance: standardised mean differences and variance ratios
    quasi          matched comparison group and difference-in-differences with a pre-trend test
    compliance     complier average causal effect (CACE) by two-stage least squares
    months_progress  EEF months' progress (pupil attainment outcomes only)
    security       EEF padlock security rating from design, attrition and threat judgements
    costs          cost per participant / per pupil and the EEF cost band
"""
