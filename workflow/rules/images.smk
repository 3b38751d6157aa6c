# Image experiments (sections 5.2-5.3): datasets, alpha-Bridge Steps I-III and the DCGAN baseline
# through the same training code as 25-Gaussians (the model and data come from config; the Step
# rules derive from image_step1) and the data of Figs 1, 5, 6 (scoring: image_metrics.smk).


wildcard_constraints:
    dataset="|".join(DATASETS) or "no_dataset",
    net="classifier|inception",
    one="|".join(methods.of("images", steps=False)),


localrules:
    image_dataset,


rule image_dataset:
    input:
        code=stage_code("image_data"),
        fits=fits_in_memory,
    output:
        "resources/datasets/{dataset}.npz",
    log:
        "logs/images/{dataset}_data.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=lambda w: stage_json("image_data", config, dataset=w.dataset),
    shell:
        "python -m alphabridge image-data --config-json {params.cfg:q} --dataset {wildcards.dataset} --out {output}"
        " 2>&1 | tee {log}"


rule image_step1:
    input:
        code=stage_code("image_train"),
        data="resources/datasets/{dataset}.npz",
    output:
        ckpt=f"{IDIR}/{{dataset}}/{{ab}}/step1.pt",
        trainlog=f"{IDIR}/{{dataset}}/{{ab}}/step1.log.csv",  # the training log (alphabridge.train.log)
    log:
        "logs/images/{dataset}_{ab}_step1.log",
    benchmark:
        "benchmarks/images/{dataset}_{ab}_step1.tsv"
    priority: 10
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=lambda w: image_train_json(w.dataset, w.ab, "I"),
        args=lambda w, input, output: io_args(input, output, method=w.ab, step="I"),
    shell:
        "python -m alphabridge image-train --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " {params.args} --threads {threads} 2>&1 | tee {log}"


use rule image_step1 as image_step2 with:
    input:
        code=stage_code("image_train"),
        data="resources/datasets/{dataset}.npz",
        prev=f"{IDIR}/{{dataset}}/{{ab}}/step1.pt",
    output:
        ckpt=f"{IDIR}/{{dataset}}/{{ab}}/step2.pt",
        trainlog=f"{IDIR}/{{dataset}}/{{ab}}/step2.log.csv",  # the training log (alphabridge.train.log)
    log:
        "logs/images/{dataset}_{ab}_step2.log",
    benchmark:
        "benchmarks/images/{dataset}_{ab}_step2.tsv"
    params:
        cfg=lambda w: image_train_json(w.dataset, w.ab, "II"),
        args=lambda w, input, output: io_args(input, output, method=w.ab, step="II"),


use rule image_step1 as image_step3 with:
    input:
        code=stage_code("image_train"),
        data="resources/datasets/{dataset}.npz",
        prev=f"{IDIR}/{{dataset}}/{{ab}}/step2.pt",
    output:
        ckpt=f"{IDIR}/{{dataset}}/{{ab}}/step3.pt",
        trainlog=f"{IDIR}/{{dataset}}/{{ab}}/step3.log.csv",  # the training log (alphabridge.train.log)
        samples=f"{IDIR}/{{dataset}}/{{ab}}/samples.npz",
    log:
        "logs/images/{dataset}_{ab}_step3.log",
    benchmark:
        "benchmarks/images/{dataset}_{ab}_step3.tsv"
    params:
        cfg=lambda w: image_train_json(w.dataset, w.ab, "III"),
        args=lambda w, input, output: io_args(input, output, method=w.ab, step="III"),


use rule image_step1 as image_one_run with:  # DCGAN and the one-run arms (rkl_scratch)
    output:
        ckpt=f"{IDIR}/{{dataset}}/{{one}}/model.pt",
        trainlog=f"{IDIR}/{{dataset}}/{{one}}/model.log.csv",  # the training log (alphabridge.train.log)
        samples=f"{IDIR}/{{dataset}}/{{one}}/samples.npz",
    log:
        "logs/images/{dataset}_{one}.log",
    benchmark:
        "benchmarks/images/{dataset}_{one}.tsv"
    priority: 0
    params:
        cfg=lambda w: image_train_json(w.dataset, w.one, "-"),
        args=lambda w, input, output: io_args(input, output, method=w.one, step="-"),


rule image_fig1_data:
    input:
        code=stage_code("image_fig1_data"),
        data="resources/datasets/{dataset}.npz",
        step1=f"{IDIR}/{{dataset}}/alpha_bridge/step1.pt",
    output:
        f"{IDIR}/{{dataset}}/fig1/demo.npz",
    log:
        "logs/images/{dataset}_fig1_data.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=lambda w: stage_json("image_fig1_data", config, dataset=w.dataset),
    shell:
        "python -m alphabridge image-fig1-data --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --step1 {input.step1} --out {output} --threads {threads} 2>&1 | tee {log}"


rule image_fig6_data:
    input:
        code=stage_code("image_fig6_data"),
        data="resources/datasets/{dataset}.npz",
        ckpt=f"{IDIR}/{{dataset}}/alpha_bridge/step3.pt",
    output:
        f"{IDIR}/{{dataset}}/fig6/data.npz",
    log:
        "logs/images/{dataset}_fig6_data.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=lambda w: stage_json("image_fig6_data", config, dataset=w.dataset),
    shell:
        "python -m alphabridge image-fig6-data --config-json {params.cfg:q} --dataset {wildcards.dataset}"
        " --ckpt {input.ckpt} --data {input.data} --out {output} --threads {threads} 2>&1 | tee {log}"


rule image_fig1:
    input:
        code=stage_code("image_fig1"),
        gaussians=rules.gaussians_fig1_data.output[0],
        arrays=expand(f"{IDIR}/{{d}}/fig1/demo.npz", d=figure_datasets()),
    output:
        pdf=report(
            "results/figures/fig1.pdf", caption="../report/fig1.rst", category="Images"
        ),
        png="results/figures/fig1.png",
    log:
        "logs/images/fig1.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        command="image-fig1",
        cfg=figure_json("image_fig1"),
        datasets=" ".join(figure_datasets()),
        arrays=lambda w, input: f"--gaussians-demo {input.gaussians} --image-demos {input.arrays}",
    shell:
        "python -m alphabridge {params.command} --config-json {params.cfg:q} --datasets {params.datasets} {params.arrays}"
        " --pdf {output.pdf} --png {output.png} 2>&1 | tee {log}"


use rule image_fig1 as image_fig5 with:
    input:
        code=stage_code("image_fig5"),
        arrays=expand(f"{IDIR}/{{d}}/alpha_bridge/samples.npz", d=figure_datasets()),
    output:
        pdf=report(
            "results/figures/fig5.pdf", caption="../report/fig5.rst", category="Images"
        ),
        png="results/figures/fig5.png",
    log:
        "logs/images/fig5.log",
    params:
        command="image-fig5",
        cfg=figure_json("image_fig5"),
        datasets=" ".join(figure_datasets()),
        arrays=lambda w, input: f"--samples {input.arrays}",


use rule image_fig1 as image_fig6 with:
    input:
        code=stage_code("image_fig6"),
        arrays=expand(f"{IDIR}/{{d}}/fig6/data.npz", d=figure_datasets()),
    output:
        pdf=report(
            "results/figures/fig6.pdf", caption="../report/fig6.rst", category="Images"
        ),
        png="results/figures/fig6.png",
    log:
        "logs/images/fig6.log",
    params:
        command="image-fig6",
        cfg=figure_json("image_fig6"),
        datasets=" ".join(figure_datasets()),
        arrays=lambda w, input: f"--data {input.arrays}",
