# Section 3.3: the inference arm's reconstruction quality for alpha-Bridge and its generalisations
# (the training rules are the alpha-Bridge Step rules with the method as the {ab} wildcard).


rule gaussians_reconstruction:
    input:
        code=stage_code("gaussians_reconstruction"),
        ckpts=lambda w: [
            shared(w.run, w.ab, w.b1, "I", "step1.pt"),
            shared(w.run, w.ab, w.b1, "III", "step3.pt"),
        ],
    output:
        "{run}/{ab}/b1_{b1}/reconstruction.csv",
    log:
        "logs/{run}/{ab}_b1_{b1}_reconstruction.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    params:
        cfg=lambda w: stage_json("gaussians_reconstruction", run_config(w.run)),
        images="",
    shell:
        "python -m alphabridge reconstruction --config-json {params.cfg:q} {params.images} --ckpt {input.ckpts}"
        " --out {output} --threads {threads} 2>&1 | tee {log}"


use rule gaussians_reconstruction as image_reconstruction with:
    input:
        code=stage_code("image_reconstruction"),
        data="resources/datasets/{dataset}.npz",
        ckpts=[
            f"{IDIR}/{{dataset}}/{{ab}}/step1.pt",
            f"{IDIR}/{{dataset}}/{{ab}}/step3.pt",
        ],
    output:
        f"{IDIR}/{{dataset}}/{{ab}}/reconstruction.csv",
    log:
        "logs/images/{dataset}_{ab}_reconstruction.log",
    params:
        cfg="{}",
        images=lambda w, input: f"--images {input.data}",


rule reconstruction_table:
    input:
        csv=reconstruction_inputs(),
    output:
        "results/tables/reconstruction.csv",
    log:
        "logs/reconstruction_table.log",
    conda:
        "../../envs/alphabridge.yaml"
    shell:
        "python -m alphabridge concat-csv --csv {input.csv} --out {output} 2>&1 | tee {log}"
