# Image metrics: the domain classifier (digits / MNIST), reference feature statistics of the real
# test images, FID / IS along training and of the final models, and the per-dataset table.


rule image_classifier:
    input:
        code=stage_code("image_classifier"),
        data="resources/datasets/{dataset}.npz",
    output:
        net="resources/classifiers/{dataset}.pt",
        report=f"{IDIR}/{{dataset}}/classifier.json",
    log:
        "logs/images/{dataset}_classifier.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 4  # torch's intra-op threads: MNIST's 60K images are its longest CPU job (capped at --cores)
    resources:
        gpu=GPU_FULL,
    params:
        cfg=stage_json("image_classifier", config),
    shell:
        "python -m alphabridge image-classifier --config-json {params.cfg:q} --data {input.data} --out {output.net}"
        " --report {output.report} --threads {threads} 2>&1 | tee {log}"


rule image_ref_stats:
    input:
        unpack(feature_net_inputs),
        code=stage_code("image_ref_stats"),
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
        cfg=stage_json("image_ref_stats", config),
        args=lambda w, input: f"{net_args(w, input)} --data {input.data}",
    shell:
        "python -m alphabridge image-ref-stats --config-json {params.cfg:q} {params.args} --out {output}"
        " --threads {threads} 2>&1 | tee {log}"


rule image_metrics:
    input:
        unpack(feature_net_inputs),
        code=stage_code("image_metrics"),
        samples=f"{IDIR}/{{dataset}}/{{method}}/samples.npz",
        ref=ref_stats,
    output:
        csv=f"{IDIR}/{{dataset}}/{{method}}/metrics.csv",
    log:
        "logs/images/{dataset}_{method}_metrics.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    resources:
        gpu=GPU_FULL,
    params:
        command="image-metrics",
        cfg=lambda w: stage_json("image_metrics", config, dataset=w.dataset),
        args=lambda w, input: f"{net_args(w, input)} --dataset {w.dataset} --method {w.method} --ref {input.ref}"
        f" --samples {input.samples}",
    shell:
        "python -m alphabridge {params.command} --config-json {params.cfg:q} {params.args} --out {output.csv}"
        " --threads {threads} 2>&1 | tee {log}"


use rule image_metrics as image_final with:
    input:
        unpack(feature_net_inputs),
        code=stage_code("image_final"),
        ckpt=lambda w: f"{IDIR}/{w.dataset}/{w.method}/"
        + ("step3.pt" if methods.get(w.method).steps else "model.pt"),
        ref=ref_stats,
    output:
        csv=f"{IDIR}/{{dataset}}/{{method}}/final.csv",
        features=f"{IDIR}/{{dataset}}/{{method}}/final_features.npz",
        samples=f"{IDIR}/{{dataset}}/{{method}}/final_samples.npz",
    log:
        "logs/images/{dataset}_{method}_final.log",
    params:
        command="image-final",
        cfg=lambda w: stage_json("image_final", config, dataset=w.dataset),
        args=lambda w, input, output: f"{net_args(w, input)} --dataset {w.dataset} --method {w.method}"
        f" --ref {input.ref} --ckpt {input.ckpt} --features-out {output.features} --samples-out {output.samples}",


# Step I alone: the maximum-likelihood model whose coverage Steps II-III are to carry over
use rule image_final as image_final_step1 with:
    input:
        unpack(feature_net_inputs),
        code=stage_code("image_final"),
        ckpt=f"{IDIR}/{{dataset}}/{{ab}}/step1.pt",
        ref=ref_stats,
    output:
        csv=f"{IDIR}/{{dataset}}/{{ab}}/final_step1.csv",
        features=f"{IDIR}/{{dataset}}/{{ab}}/final_step1_features.npz",
        samples=f"{IDIR}/{{dataset}}/{{ab}}/final_step1_samples.npz",
    log:
        "logs/images/{dataset}_{ab}_final_step1.log",
    params:
        command="image-final",
        cfg=lambda w: stage_json("image_final", config, dataset=w.dataset),
        args=lambda w, input, output: f"{net_args(w, input)} --dataset {w.dataset} --method {w.ab}"
        f" --label {w.ab}_step1 --ref {input.ref} --ckpt {input.ckpt} --features-out {output.features}"
        f" --samples-out {output.samples}",


# real train images through the same scores: the ceiling each metric can show
use rule image_final as image_real with:
    input:
        unpack(feature_net_inputs),
        code=stage_code("image_real"),
        data="resources/datasets/{dataset}.npz",
        ref=ref_stats,
    output:
        csv=f"{IDIR}/{{dataset}}/real_data.csv",
        features=f"{IDIR}/{{dataset}}/real_data_features.npz",
        samples=f"{IDIR}/{{dataset}}/real_data_samples.npz",
    log:
        "logs/images/{dataset}_real_data.log",
    params:
        command="image-real",
        cfg=lambda w: stage_json("image_real", config, dataset=w.dataset),
        args=lambda w, input, output: f"{net_args(w, input)} --dataset {w.dataset} --data {input.data}"
        f" --ref {input.ref} --features-out {output.features} --samples-out {output.samples}",


rule image_table:
    input:
        code=stage_code("image_table"),
        finals=lambda w: expand(
            f"{IDIR}/{w.dataset}/{{m}}/final.csv",
            m=["alpha_bridge", "dcgan"]
            + IMG["runs"][w.dataset]["generalisations"]
            + IMG["runs"][w.dataset]["arms"],
        )
        + [f"{IDIR}/{w.dataset}/{ab}/final_step1.csv" for ab in step1_rows(w.dataset)]
        + [f"{IDIR}/{w.dataset}/real_data.csv"],
    output:
        table="results/tables/{dataset}.csv",
        trials="results/tables/{dataset}_trials.csv",
    log:
        "logs/images/{dataset}_table.log",
    conda:
        "../../envs/alphabridge.yaml"
    shell:
        "python -m alphabridge image-table --finals {input.finals} --out {output.table} --trials-out {output.trials}"
        " 2>&1 | tee {log}"
