# Image experiments (sections 5.2-5.3): datasets, alpha-Bridge Steps I-III and the DCGAN baseline,
# through the same training code as 25-Gaussians (the model and data come from config).


wildcard_constraints:
    dataset="|".join(DATASETS) or "no_dataset",


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
        ckpt=f"{IDIR}/{{dataset}}/alpha_bridge/step1.pt",
    log:
        "logs/images/{dataset}_alpha_bridge_step1.log",
    benchmark:
        "benchmarks/images/{dataset}_alpha_bridge_step1.tsv"
    priority: 10
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda w: image_step_json(w.dataset, "I"),
        resume=lambda w, output: f"{output.ckpt}.resume",
    shell:
        "python -m alphabridge image-train --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --method alpha_bridge --step I --out {output.ckpt} --resume {params.resume} --threads {threads} 2>&1 | tee {log}"


rule image_step2:
    input:
        IMAGE_TRAIN_CODE,
        data="resources/datasets/{dataset}.npz",
        prev=f"{IDIR}/{{dataset}}/alpha_bridge/step1.pt",
    output:
        ckpt=f"{IDIR}/{{dataset}}/alpha_bridge/step2.pt",
    log:
        "logs/images/{dataset}_alpha_bridge_step2.log",
    benchmark:
        "benchmarks/images/{dataset}_alpha_bridge_step2.tsv"
    priority: 10
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda w: image_step_json(w.dataset, "II"),
        resume=lambda w, output: f"{output.ckpt}.resume",
    shell:
        "python -m alphabridge image-train --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --method alpha_bridge --step II --in {input.prev} --out {output.ckpt} --resume {params.resume}"
        " --threads {threads} 2>&1 | tee {log}"


rule image_step3:
    input:
        IMAGE_TRAIN_CODE,
        data="resources/datasets/{dataset}.npz",
        prev=f"{IDIR}/{{dataset}}/alpha_bridge/step2.pt",
    output:
        ckpt=f"{IDIR}/{{dataset}}/alpha_bridge/step3.pt",
        samples=f"{IDIR}/{{dataset}}/alpha_bridge/samples.npz",
    log:
        "logs/images/{dataset}_alpha_bridge_step3.log",
    benchmark:
        "benchmarks/images/{dataset}_alpha_bridge_step3.tsv"
    priority: 10
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU,
    params:
        cfg=lambda w: image_step_json(w.dataset, "III"),
        resume=lambda w, output: f"{output.ckpt}.resume",
    shell:
        "python -m alphabridge image-train --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --method alpha_bridge --step III --in {input.prev} --out {output.ckpt} --samples {output.samples}"
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
        gpu=GPU,
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
    params:
        cfg=lambda w: image_step_json(w.dataset, "fig1"),
    shell:
        "python -m alphabridge image-fig1-data --config-json {params.cfg:q} --dataset {wildcards.dataset} --data {input.data}"
        " --step1 {input.step1} --out {output} --threads {threads} 2>&1 | tee {log}"
