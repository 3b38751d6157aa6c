# Fig. 2: variance of the twin gradients (10), (11) and their combination (12) vs alpha.


rule fig2_data:
    input:
        code=stage_code("fig2_data"),
    output:
        csv="results/fig2/variance.csv",
        prov="results/fig2/variance.provenance.json",
        ratios="results/tables/fig2_ratios.csv",  # exact: Var(combined) / min(Var F, Var R), the best gamma
    log:
        "logs/fig2_data.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=stage_json("fig2_data", config),
    shell:
        "python -m alphabridge fig2-data --config-json {params.cfg:q} --out {output.csv} --ratios {output.ratios}"
        " 2>&1 | tee {log}"


rule fig2_plot:
    input:
        csv="results/fig2/variance.csv",
        code=stage_code("fig2_plot"),
    output:
        pdf=report(
            "results/figures/fig2.pdf", caption="../report/fig2.rst", category="Fig. 2"
        ),
        png="results/figures/fig2.png",
    log:
        "logs/fig2_plot.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=stage_json("fig2_plot", config),
    shell:
        "python -m alphabridge fig2-plot --config-json {params.cfg:q} --csv {input.csv} --pdf {output.pdf} --png {output.png}"
        " 2>&1 | tee {log}"
