# The ablation study: each sweep's cells are ordinary 25-Gaussians runs under
# results/ablations/<sweep>/<setting>/ (trained and scored by the rules in gaussians.smk, sharing any
# stage that equals the Fig. 4 run or an earlier cell); here only the per-sweep tables and figures.
wildcard_constraints:
    sweep="|".join(SWEEPS) or "no_sweep",


rule ablation_table:
    input:
        code=stage_code("ablation_table"),
        metrics=lambda w: [c["metrics"] for c in ablation_cells(w.sweep)],
    output:
        "results/tables/ablations/{sweep}.csv",
    log:
        "logs/ablations/{sweep}_table.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cells=lambda w: json.dumps({"cells": ablation_cells(w.sweep)}),
        cfg=lambda w: stage_json("ablation_table", config),
    shell:
        "python -m alphabridge ablation-table --config-json {params.cfg:q} --sweep {wildcards.sweep}"
        " --cells-json {params.cells:q} --out {output} 2>&1 | tee {log}"


rule ablation_figure:
    input:
        code=stage_code("ablation_figure"),
        table="results/tables/ablations/{sweep}.csv",
    output:
        pdf=report(
            "results/figures/ablation_{sweep}.pdf",
            caption="../report/ablation.rst",
            category="Ablations",
        ),
        png="results/figures/ablation_{sweep}.png",
    log:
        "logs/ablations/{sweep}_figure.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=lambda w: stage_json("ablation_figure", config),
    shell:
        "python -m alphabridge ablation-fig --config-json {params.cfg:q} --table {input.table} --sweep {wildcards.sweep}"
        " --pdf {output.pdf} --png {output.png} 2>&1 | tee {log}"


rule ablations_all:
    input:
        code=stage_code("ablations_all"),
        tables=expand("results/tables/ablations/{sweep}.csv", sweep=SWEEPS),
    output:
        "results/tables/ablations.csv",
    log:
        "logs/ablations/all.log",
    conda:
        "../../envs/alphabridge.yaml"
    shell:
        "python -m alphabridge ablation-all --tables {input.tables} --out {output} 2>&1 | tee {log}"
