# Section 3.3: the inference arm's reconstruction quality for alpha-Bridge and its generalisations
# (the training rules are the alpha-Bridge Step rules with the method as the {ab} wildcard).
rule gaussians_reconstruction:
    input:
        RECON_CODE,
        ckpts=lambda w: recon_ckpts(w.run, w.ab, w.b1),
    output:
        "{run}/{ab}/b1_{b1}/reconstruction.csv",
    log:
        "logs/{run}/{ab}_b1_{b1}_reconstruction.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    params:
        cfg=lambda w: _dump(
            {"gaussians": {"data": run_config(w.run)["gaussians"]["data"]}}
        ),
    shell:
        "python -m alphabridge reconstruction --config-json {params.cfg:q} --ckpt {input.ckpts} --out {output}"
        " --threads {threads} 2>&1 | tee {log}"


rule image_reconstruction:
    input:
        RECON_CODE,
        data="resources/datasets/{dataset}.npz",
        ckpts=[
            f"{IDIR}/{{dataset}}/{{ab}}/step1.pt",
            f"{IDIR}/{{dataset}}/{{ab}}/step3.pt",
        ],
    output:
        f"{IDIR}/{{dataset}}/{{ab}}/reconstruction.csv",
    log:
        "logs/images/{dataset}_{ab}_reconstruction.log",
    conda:
        "../../envs/alphabridge.yaml"
    threads: 1
    shell:
        "python -m alphabridge reconstruction --config-json '{{}}' --images {input.data} --ckpt {input.ckpts}"
        " --out {output} --threads {threads} 2>&1 | tee {log}"


rule reconstruction_table:
    input:
        pkg("cli.py"),
        csv=reconstruction_inputs(),
    output:
        "results/tables/reconstruction.csv",
    log:
        "logs/reconstruction_table.log",
    conda:
        "../../envs/alphabridge.yaml"
    shell:
        "python -m alphabridge concat-csv --csv {input.csv} --out {output} 2>&1 | tee {log}"
