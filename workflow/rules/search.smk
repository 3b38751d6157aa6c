# Equal-budget random search: the drawn configurations are ordinary 25-Gaussians runs
# under results/ablations/search_<method>/c<k>/ (SEARCH in gaussians_runs.smk: trained and scored by
# the rules in gaussians.smk, each at its own drawn beta1); here only the table and the figure.


rule search_table:
    input:
        code=stage_code("search_table"),
        metrics=lambda w: [c["metrics"] for c in search_cells()],
    output:
        "results/tables/search.csv",
    log:
        "logs/search/table.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cells=lambda w: json.dumps({"cells": search_cells()}),
        cfg=lambda w: stage_json("search_table", config),
    shell:
        "python -m alphabridge search-table --config-json {params.cfg:q} --cells-json {params.cells:q}"
        " --out {output} 2>&1 | tee {log}"


rule search_figure:
    input:
        code=stage_code("search_figure"),
        table="results/tables/search.csv",
    output:
        pdf="results/figures/search.pdf",
        png="results/figures/search.png",
        curves="results/tables/search_curves.csv",
    log:
        "logs/search/figure.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=lambda w: stage_json("search_figure", config),
    shell:
        "python -m alphabridge search-fig --config-json {params.cfg:q} --table {input.table}"
        " --pdf {output.pdf} --png {output.png} --curves {output.curves} 2>&1 | tee {log}"
