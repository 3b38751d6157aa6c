# Image experiments (sections 5.2-5.3): datasets, alpha-Bridge Steps I-III and the DCGAN baseline,
# through the same training code as 25-Gaussians (the model and data come from config).


wildcard_constraints:
    dataset="|".join(DATASETS) or "no_dataset",
    net="classifier|inception",


localrules:
    image_dataset,


rule image_dataset:
    input:
        pkg("data/images.py", "cli_images.py"),
    output:
        "resources/datasets/{dataset}.npz",
    log:
        "logs/images/{dataset}_data.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=lambda w: image_data_json(w.dataset),
    shell:
        "python -m alphabridge image-data --config-json {params.cfg:q} --dataset {wildcards.dataset} --out {output}"
        " 2>&1 | tee {log}"


rule image_step1:
    input:
        IMAGE_TRAIN_CODE,
        data="resources/datasets/{dataset}.npz",
    output:
        ckpt=f"{IDIR}/{{dataset}}/{{ab}}/step1.pt",
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
        cfg=lambda w: image_step_json(w.dataset, "I"),
        resume=lambda w, output: f"{output.ckpt}.resume",
    shell:
        "python -m alphabridge image-train --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --method {wildcards.ab} --step I --out {output.ckpt} --resume {params.resume} --threads {threads} 2>&1 | tee {log}"


rule image_step2:
    input:
        IMAGE_TRAIN_CODE,
        data="resources/datasets/{dataset}.npz",
        prev=f"{IDIR}/{{dataset}}/{{ab}}/step1.pt",
    output:
        ckpt=f"{IDIR}/{{dataset}}/{{ab}}/step2.pt",
    log:
        "logs/images/{dataset}_{ab}_step2.log",
    benchmark:
        "benchmarks/images/{dataset}_{ab}_step2.tsv"
    priority: 10
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=lambda w: image_step_json(w.dataset, "II"),
        resume=lambda w, output: f"{output.ckpt}.resume",
    shell:
        "python -m alphabridge image-train --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --method {wildcards.ab} --step II --in {input.prev} --out {output.ckpt} --resume {params.resume}"
        " --threads {threads} 2>&1 | tee {log}"


rule image_step3:
    input:
        IMAGE_TRAIN_CODE,
        data="resources/datasets/{dataset}.npz",
        prev=f"{IDIR}/{{dataset}}/{{ab}}/step2.pt",
    output:
        ckpt=f"{IDIR}/{{dataset}}/{{ab}}/step3.pt",
        samples=f"{IDIR}/{{dataset}}/{{ab}}/samples.npz",
    log:
        "logs/images/{dataset}_{ab}_step3.log",
    benchmark:
        "benchmarks/images/{dataset}_{ab}_step3.tsv"
    priority: 10
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=lambda w: image_step_json(w.dataset, "III"),
        resume=lambda w, output: f"{output.ckpt}.resume",
    shell:
        "python -m alphabridge image-train --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --method {wildcards.ab} --step III --in {input.prev} --out {output.ckpt} --samples {output.samples}"
        " --resume {params.resume} --threads {threads} 2>&1 | tee {log}"


rule image_dcgan:
    input:
        IMAGE_TRAIN_CODE,
        data="resources/datasets/{dataset}.npz",
    output:
        ckpt=f"{IDIR}/{{dataset}}/dcgan/model.pt",
        samples=f"{IDIR}/{{dataset}}/dcgan/samples.npz",
    log:
        "logs/images/{dataset}_dcgan.log",
    benchmark:
        "benchmarks/images/{dataset}_dcgan.tsv"
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=lambda w: image_step_json(w.dataset, "dcgan"),
        resume=lambda w, output: f"{output.ckpt}.resume",
    shell:
        "python -m alphabridge image-train --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --method dcgan --step - --out {output.ckpt} --samples {output.samples} --resume {params.resume}"
        " --threads {threads} 2>&1 | tee {log}"


rule image_fig1_data:
    input:
        IMAGE_TRAIN_CODE,
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
        cfg=lambda w: image_step_json(w.dataset, "fig1"),
    shell:
        "python -m alphabridge image-fig1-data --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --step1 {input.step1} --out {output} --threads {threads} 2>&1 | tee {log}"


rule image_fig6_data:
    input:
        IMAGE_TRAIN_CODE,
        pkg("experiments/image_figs.py"),
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
        cfg=lambda w: image_fig_json([w.dataset]),
    shell:
        "python -m alphabridge image-fig6-data --config-json {params.cfg:q} --dataset {wildcards.dataset}"
        " --ckpt {input.ckpt} --data {input.data} --out {output} --threads {threads} 2>&1 | tee {log}"


rule image_fig1:
    input:
        pkg(
            "figures/gaussians.py",
            "figures/images.py",
            "experiments/gaussians_metrics.py",
            "cli_images.py",
        ),
        gaussians=rules.gaussians_fig1_data.output[0],
        images=expand(f"{IDIR}/{{d}}/fig1/demo.npz", d=figure_datasets()),
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
        cfg=lambda w: image_fig_json(figure_datasets()),
        datasets=" ".join(figure_datasets()),
    shell:
        "python -m alphabridge image-fig1 --config-json {params.cfg:q} --gaussians-demo {input.gaussians}"
        " --datasets {params.datasets} --image-demos {input.images} --pdf {output.pdf} --png {output.png} 2>&1 | tee {log}"


rule image_fig5:
    input:
        pkg(
            "figures/images.py",
            "figures/gaussians.py",
            "experiments/images.py",
            "cli_images.py",
        ),
        samples=expand(f"{IDIR}/{{d}}/alpha_bridge/samples.npz", d=figure_datasets()),
    output:
        pdf=report(
            "results/figures/fig5.pdf", caption="../report/fig5.rst", category="Images"
        ),
        png="results/figures/fig5.png",
    log:
        "logs/images/fig5.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=lambda w: image_fig_json(figure_datasets()),
        datasets=" ".join(figure_datasets()),
    shell:
        "python -m alphabridge image-fig5 --config-json {params.cfg:q} --datasets {params.datasets}"
        " --samples {input.samples} --pdf {output.pdf} --png {output.png} 2>&1 | tee {log}"


rule image_fig6:
    input:
        pkg("figures/images.py", "figures/gaussians.py", "cli_images.py"),
        data=expand(f"{IDIR}/{{d}}/fig6/data.npz", d=figure_datasets()),
    output:
        pdf=report(
            "results/figures/fig6.pdf", caption="../report/fig6.rst", category="Images"
        ),
        png="results/figures/fig6.png",
    log:
        "logs/images/fig6.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=lambda w: image_fig_json(figure_datasets()),
        datasets=" ".join(figure_datasets()),
    shell:
        "python -m alphabridge image-fig6 --config-json {params.cfg:q} --datasets {params.datasets}"
        " --data {input.data} --pdf {output.pdf} --png {output.png} 2>&1 | tee {log}"


rule image_classifier:
    input:
        IMAGE_METRIC_CODE,
        data="resources/datasets/{dataset}.npz",
    output:
        net="resources/classifiers/{dataset}.pt",
        report=f"{IDIR}/{{dataset}}/classifier.json",
    log:
        "logs/images/{dataset}_classifier.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=cfg_json("device", "precision", "images"),
    shell:
        "python -m alphabridge image-classifier --config-json {params.cfg:q} --data {input.data} --out {output.net}"
        " --report {output.report} --threads {threads} 2>&1 | tee {log}"


rule image_ref_stats:
    input:
        unpack(feature_net_inputs),
        IMAGE_METRIC_CODE,
        data="resources/datasets/{dataset}.npz",
    output:
        "resources/fid_stats/{dataset}_{net}.npz",
    log:
        "logs/images/{dataset}_{net}_ref_stats.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=lambda w: image_metric_json(w.dataset),
        net=lambda w, input: net_args(w, input),
    shell:
        "python -m alphabridge image-ref-stats --config-json {params.cfg:q} {params.net} --data {input.data}"
        " --out {output} --threads {threads} 2>&1 | tee {log}"


rule image_metrics:
    input:
        unpack(feature_net_inputs),
        IMAGE_METRIC_CODE,
        samples=f"{IDIR}/{{dataset}}/{{method}}/samples.npz",
        ref=ref_stats,
    output:
        f"{IDIR}/{{dataset}}/{{method}}/metrics.csv",
    log:
        "logs/images/{dataset}_{method}_metrics.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=lambda w: image_metric_json(w.dataset),
        net=lambda w, input: net_args(w, input),
    shell:
        "python -m alphabridge image-metrics --config-json {params.cfg:q} {params.net} --dataset {wildcards.dataset}"
        " --method {wildcards.method} --ref {input.ref} --samples {input.samples} --out {output} --threads {threads}"
        " 2>&1 | tee {log}"


rule image_final:
    input:
        unpack(feature_net_inputs),
        IMAGE_METRIC_CODE,
        ckpt=lambda w: f"{IDIR}/{w.dataset}/{w.method}/"
        + ("step3.pt" if w.method in AB_METHODS else "model.pt"),
        ref=ref_stats,
    output:
        f"{IDIR}/{{dataset}}/{{method}}/final.csv",
    log:
        "logs/images/{dataset}_{method}_final.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        cfg=lambda w: image_metric_json(w.dataset),
        net=lambda w, input: net_args(w, input),
    shell:
        "python -m alphabridge image-final --config-json {params.cfg:q} {params.net} --dataset {wildcards.dataset}"
        " --method {wildcards.method} --ref {input.ref} --ckpt {input.ckpt} --out {output} --threads {threads}"
        " 2>&1 | tee {log}"


rule image_table:
    input:
        pkg("cli_images.py"),
        finals=lambda w: expand(
            f"{IDIR}/{w.dataset}/{{m}}/final.csv",
            m=["alpha_bridge", "dcgan"] + IMG["runs"][w.dataset]["generalisations"],
        ),
    output:
        "results/tables/{dataset}.csv",
    log:
        "logs/images/{dataset}_table.log",
    conda:
        "../../envs/alphabridge.yaml"
    params:
        cfg=lambda w: image_metric_json(w.dataset),
    shell:
        "python -m alphabridge image-table --config-json {params.cfg:q} --finals {input.finals} --out {output}"
        " 2>&1 | tee {log}"
