# alpha-bridge workflow. Targets: see docs/targets.md. Config: config/config.yaml,
# validated against workflow/schemas/config.schema.yaml before any job runs.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/fig2.smk"
include: "workflow/rules/gaussians_runs.smk"
include: "workflow/rules/gaussians.smk"
include: "workflow/rules/ablations.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/confirm.smk"
include: "workflow/rules/images_inputs.smk"
include: "workflow/rules/images.smk"
include: "workflow/rules/image_metrics.smk"
include: "workflow/rules/reconstruction.smk"


rule all:
    default_target: True
    input:
        "results/figures/fig2.pdf",
        "results/figures/fig4.pdf",
        "results/figures/step2_diagnostics.pdf",
        "results/figures/fig3.pdf",
        "results/figures/fig1_gaussians.pdf",
        "results/tables/gaussians_final.csv",
        "results/figures/fig1.pdf",
        "results/figures/fig5.pdf",
        "results/figures/fig6.pdf",
        "results/tables/digits.csv",
        "results/tables/stacked_digits.csv",
        "results/figures/fig4_generalisations.pdf",
        "results/tables/reconstruction.csv",
