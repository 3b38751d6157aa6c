# The held-out confirmation sweep: its arms are ordinary 25-Gaussians runs under
# results/ablations/confirm_<method>/<arm>/ (CONFIRM in gaussians_runs.smk: trained and scored by the
# rules in gaussians.smk on seeds that chose nothing); here only the tables and the figure.


rule confirm_table:
    input:
        code=stage_code("confirm_table"),
        metrics=lambda w: [c["metrics"] for c in confirm_cells()],
    output:
        table="results/tables/confirm.csv",
        trials="results/tables/confirm_trials.csv",
        contrasts="results/tables/confirm_contrasts.csv",
    log:
        "logs/confirm/table.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cells=lambda w: json.dumps({"cells": confirm_cells()}),
        cfg=lambda w: stage_json("confirm_table", config),
    shell:
        "python -m alphabridge confirm-table --config-json {params.cfg:q} --cells-json {params.cells:q}"
        " --out {output.table} --trials {output.trials} --contrasts {output.contrasts} 2>&1 | tee {log}"


rule confirm_figure:
    input:
        code=stage_code("confirm_figure"),
        trials="results/tables/confirm_trials.csv",
        contrasts="results/tables/confirm_contrasts.csv",
    output:
        pdf=report(
            "results/figures/confirm.pdf",
            caption="../report/confirm.rst",
            category="Ablations",
        ),
        png="results/figures/confirm.png",
    log:
        "logs/confirm/figure.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=lambda w: stage_json("confirm_figure", config),
    shell:
        "python -m alphabridge confirm-fig --config-json {params.cfg:q} --trials {input.trials}"
        " --contrasts {input.contrasts} --pdf {output.pdf} --png {output.png} 2>&1 | tee {log}"
