# 25-Gaussians (section 5.1): alpha-Bridge Steps I-III and the RKL-GP / RKL-SN baselines, one
# rule per Step (all derived from gaussians_step1) so a change to a later Step never re-runs an
# earlier one; metrics from samples by their own rule, so a metrics change never retrains;
# Figs 1, 3, 4 and the final table. Each rule's params are its stage's config slice and its code
# inputs the files its stage's module imports (alphabridge.stages).


wildcard_constraints:
    b1=r"[0-9.]+",
    baseline="|".join(methods.of("gaussians", steps=False)),
    ab="|".join(methods.AB_METHODS),
    run=rf"{GDIR}|{ADIR}/[A-Za-z0-9_]+/[A-Za-z0-9_.+-]+",


rule gaussians_step1:
    input:
        code=stage_code("gaussians_train"),
    output:
        ckpt="{run}/{ab}/b1_{b1}/step1.pt",
        trainlog="{run}/{ab}/b1_{b1}/step1.log.csv",  # the training log (alphabridge.train.log)
    log:
        "logs/{run}/{ab}_b1_{b1}_step1.log",
    benchmark:
        "benchmarks/{run}/{ab}_b1_{b1}_step1.tsv"
    priority: 10  # start the sequential Step chains first: better packing on few cores
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_SMALL,
    # the derived rules restate their params: a params function that reads `output` is skipped by
    # Snakemake's params re-run trigger, so the Step must come from the rule, not from the file name
    params:
        cfg=lambda w: train_json(w.run, w.ab, "I"),
        args=lambda w, input, output: io_args(
            input, output, method=w.ab, beta1=w.b1, step="I"
        ),
    shell:
        "python -m alphabridge gaussians-train --config-json {params.cfg:q} {params.args} --threads {threads} 2>&1 | tee {log}"


use rule gaussians_step1 as gaussians_step2 with:
    input:
        code=stage_code("gaussians_train"),
        prev=lambda w: shared(w.run, w.ab, w.b1, "I", "step1.pt"),
    output:
        ckpt="{run}/{ab}/b1_{b1}/step2.pt",
        trainlog="{run}/{ab}/b1_{b1}/step2.log.csv",  # the training log (alphabridge.train.log)
    log:
        "logs/{run}/{ab}_b1_{b1}_step2.log",
    benchmark:
        "benchmarks/{run}/{ab}_b1_{b1}_step2.tsv"
    params:
        cfg=lambda w: train_json(w.run, w.ab, "II"),
        args=lambda w, input, output: io_args(
            input, output, method=w.ab, beta1=w.b1, step="II"
        ),


use rule gaussians_step1 as gaussians_step3 with:
    input:
        code=stage_code("gaussians_train"),
        prev=lambda w: shared(w.run, w.ab, w.b1, "II", "step2.pt"),
    output:
        ckpt="{run}/{ab}/b1_{b1}/step3.pt",
        trainlog="{run}/{ab}/b1_{b1}/step3.log.csv",  # the training log (alphabridge.train.log)
        samples="{run}/{ab}/b1_{b1}/samples.npz",
    log:
        "logs/{run}/{ab}_b1_{b1}_step3.log",
    benchmark:
        "benchmarks/{run}/{ab}_b1_{b1}_step3.tsv"
    params:
        cfg=lambda w: train_json(w.run, w.ab, "III"),
        args=lambda w, input, output: io_args(
            input, output, method=w.ab, beta1=w.b1, step="III"
        ),


# a one-run baseline: the same command, the whole run (step '-')
use rule gaussians_step1 as gaussians_baseline with:
    output:
        ckpt="{run}/{baseline}/b1_{b1}/model.pt",
        trainlog="{run}/{baseline}/b1_{b1}/model.log.csv",  # the training log (alphabridge.train.log)
        samples="{run}/{baseline}/b1_{b1}/samples.npz",
    log:
        "logs/{run}/{baseline}_b1_{b1}.log",
    benchmark:
        "benchmarks/{run}/{baseline}_b1_{b1}.tsv"
    priority: 0
    params:
        cfg=lambda w: train_json(w.run, w.baseline, "-"),
        args=lambda w, input, output: io_args(
            input, output, method=w.baseline, beta1=w.b1, step="-"
        ),


rule gaussians_metrics:
    input:
        code=stage_code("gaussians_metrics"),
        samples=lambda w: shared(w.run, w.method, w.b1, "samples", "samples.npz"),
    output:
        csv="{run}/{method}/b1_{b1}/metrics.csv",
        prov="{run}/{method}/b1_{b1}/metrics.provenance.json",
    log:
        "logs/{run}/{method}_b1_{b1}_metrics.log",
    benchmark:
        "benchmarks/{run}/{method}_b1_{b1}_metrics.tsv"
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    params:
        cfg=lambda w: metrics_json(w.run, w.method),
        final="",
    shell:
        "python -m alphabridge gaussians-metrics --config-json {params.cfg:q} --method {wildcards.method} --beta1 {wildcards.b1}"
        " --samples {input.samples} --out {output.csv} {params.final} --threads {threads} 2>&1 | tee {log}"


# the last saved iteration only (what the ablation tables need, ~40x cheaper)
use rule gaussians_metrics as gaussians_final_metrics with:
    output:
        csv="{run}/{method}/b1_{b1}/final_metrics.csv",
        prov="{run}/{method}/b1_{b1}/final_metrics.provenance.json",
    log:
        "logs/{run}/{method}_b1_{b1}_final_metrics.log",
    benchmark:
        "benchmarks/{run}/{method}_b1_{b1}_final_metrics.tsv"
    params:
        cfg=lambda w: metrics_json(w.run, w.method),
        final="--final-only",


rule gaussians_table:
    input:
        code=stage_code("gaussians_table"),
        metrics=all_metrics() + all_metrics("generalisations"),
    output:
        csv=report(
            "results/tables/gaussians_final.csv",
            caption="../report/gaussians_final.rst",
            category="25-Gaussians",
        ),
        prov="results/tables/gaussians_final.provenance.json",
    log:
        "logs/gaussians/table.log",
    conda:
        "../../envs/alphabridge.yaml"
    shell:
        "python -m alphabridge gaussians-table --metrics {input.metrics} --out {output.csv} 2>&1 | tee {log}"


rule gaussians_fig4:
    input:
        code=stage_code("gaussians_fig4"),
        metrics=all_metrics(),
    output:
        pdf=report(
            "results/figures/fig4.pdf",
            caption="../report/fig4.rst",
            category="25-Gaussians",
        ),
        png="results/figures/fig4.png",
    log:
        "logs/gaussians/fig4.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=stage_json("gaussians_fig4", config),
    shell:
        "python -m alphabridge gaussians-fig4 --config-json {params.cfg:q} --metrics {input.metrics} --pdf {output.pdf}"
        " --png {output.png} 2>&1 | tee {log}"


use rule gaussians_fig4 as gaussians_fig4_generalisations with:
    input:
        code=stage_code("gaussians_fig4"),
        metrics=all_metrics() + all_metrics("generalisations"),
    output:
        pdf=report(
            "results/figures/fig4_generalisations.pdf",
            caption="../report/fig4_generalisations.rst",
            category="25-Gaussians",
        ),
        png="results/figures/fig4_generalisations.png",
    log:
        "logs/gaussians/fig4_generalisations.log",


# alpha-Bridge's training logs over Steps I-III (both beta1s): what happens near alpha = 0.75
rule gaussians_diagnostics:
    input:
        code=stage_code("gaussians_diagnostics"),
        logs=expand(
            f"{GDIR}/alpha_bridge/b1_{{b1}}/step{{n}}.log.csv",
            b1=G["beta1s"],
            n=[1, 2, 3],
        ),
    output:
        pdf=report(
            "results/figures/step2_diagnostics.pdf",
            caption="../report/step2_diagnostics.rst",
            category="25-Gaussians",
        ),
        png="results/figures/step2_diagnostics.png",
        csv="results/tables/step2_diagnostics.csv",
    log:
        "logs/gaussians/step2_diagnostics.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=stage_json("gaussians_diagnostics", config),
    shell:
        "python -m alphabridge gaussians-diagnostics --config-json {params.cfg:q} --logs {input.logs} --out {output.csv}"
        " --pdf {output.pdf} --png {output.png} 2>&1 | tee {log}"


rule gaussians_fig3:
    input:
        code=stage_code("gaussians_fig3"),
        samples=expand(
            f"{GDIR}/{{m}}/b1_{G['fig3']['beta1']}/samples.npz", m=G["methods"]
        ),
    output:
        pdf=report(
            "results/figures/fig3.pdf",
            caption="../report/fig3.rst",
            category="25-Gaussians",
        ),
        png="results/figures/fig3.png",
    log:
        "logs/gaussians/fig3.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        beta1=G["fig3"]["beta1"],
        cfg=stage_json("gaussians_fig3", config),
        methods=" ".join(G["methods"]),
    shell:
        "python -m alphabridge gaussians-fig3 --config-json {params.cfg:q} --methods {params.methods} --samples {input.samples}"
        " --beta1 {params.beta1} --pdf {output.pdf} --png {output.png} 2>&1 | tee {log}"


rule gaussians_fig1_data:
    input:
        code=stage_code("gaussians_fig1_data"),
        step1=f"{GDIR}/alpha_bridge/b1_{G['fig1']['beta1']}/step1.pt",
    output:
        f"{GDIR}/fig1/b1_{G['fig1']['beta1']}/demo.npz",
    log:
        "logs/gaussians/fig1_data.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_SMALL,
    params:
        cfg=stage_json("gaussians_fig1_data", config),
    shell:
        "python -m alphabridge gaussians-fig1-data --config-json {params.cfg:q} --step1 {input.step1} --out {output}"
        " --threads {threads} 2>&1 | tee {log}"


rule gaussians_fig1:
    input:
        code=stage_code("gaussians_fig1"),
        demo=rules.gaussians_fig1_data.output[0],
    output:
        pdf=report(
            "results/figures/fig1_gaussians.pdf",
            caption="../report/fig1_gaussians.rst",
            category="25-Gaussians",
        ),
        png="results/figures/fig1_gaussians.png",
    log:
        "logs/gaussians/fig1.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=stage_json("gaussians_fig1", config),
    shell:
        "python -m alphabridge gaussians-fig1 --config-json {params.cfg:q} --demo {input.demo} --pdf {output.pdf} --png {output.png}"
        " 2>&1 | tee {log}"
