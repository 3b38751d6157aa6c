# 25-Gaussians (section 5.1): alpha-Bridge Steps I-III and the RKL-GP / RKL-SN baselines, one
# rule per Step so a change to a later Step never re-runs an earlier one; metrics from samples
# by their own rule, so a metrics change never retrains; Figs 1, 3, 4 and the final table.

G = config["gaussians"]
GDIR = "results/gaussians"
BASELINES = [m for m in G["methods"] if m != "alpha_bridge"]

wildcard_constraints:
    b1=r"[0-9.]+",
    baseline="|".join(BASELINES) or "no_baseline",

TRAIN_CODE = pkg("config.py", "io.py", "errors.py", "divergence.py", "objectives.py", "models/batched.py",
                 "data/gaussians.py", "train/loop.py", "train/checkpoint.py", "train/schedule.py",
                 "experiments/gaussians.py")
METRIC_CODE = pkg("config.py", "io.py", "provenance.py", "data/gaussians.py", "train/schedule.py", "experiments/gaussians.py",
                  "experiments/gaussians_metrics.py", "metrics/kde.py", "metrics/gaussians.py")
FIG_CODE = pkg("config.py", "io.py", "figures/gaussians.py")


# Each training rule receives only the config keys it reads (its `params`), so changing a
# Step III setting changes Step III's params and leaves Steps I and II cached.
TRAIN_SHARED = {
    "trials": G["trials"], "seed": G["seed"], "save_every": G["save_every"], "model": G["model"],
    "optim": G["optim"], "eval": {k: G["eval"][k] for k in ("every", "n_samples")},
    "data": {k: v for k, v in G["data"].items() if k not in ("n_val", "n_test")},
}
AB_KEYS = {
    "I": ["step1_iters", "sigma", "update_order", "d_reg", "gp_weight"],
    "II": ["step2_iters", "sigma", "update_order", "d_reg", "gp_weight", "schedule", "clamp_logw", "self_normalize"],
    "III": ["step3_iters", "sigma", "update_order", "d_reg", "gp_weight"],
}


def _dump(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def step_json(step):
    ab = {k: G["alpha_bridge"][k] for k in AB_KEYS[step]}
    out = {"device": config["device"], "gaussians": {**TRAIN_SHARED, "alpha_bridge": ab}}
    if step == "II":
        out["gamma"] = config["gamma"]
    return _dump(out)


def baseline_json(method):
    return _dump({"device": config["device"], "gaussians": {**TRAIN_SHARED, method: G[method]}})


def metrics_json(method):
    """The metrics need the evaluation protocol, and for alpha_bridge the Step lengths and schedule
    (to label each iteration's Step and alpha); nothing else."""
    g = {"data": G["data"], "eval": G["eval"]}
    if method == "alpha_bridge":
        g["alpha_bridge"] = {k: G["alpha_bridge"][k] for k in ("step1_iters", "step2_iters", "step3_iters", "schedule")}
    return _dump({"gaussians": g})


def fig1_json():
    ab = {k: G["alpha_bridge"][k] for k in sorted(set(AB_KEYS["I"]) | set(AB_KEYS["II"]))}
    g = {**TRAIN_SHARED, "alpha_bridge": ab, "fig1": G["fig1"]}
    return _dump({"device": config["device"], "gamma": config["gamma"], "gaussians": g})


def full_json():
    return cfg_json("device", "gamma", "gaussians")


rule gaussians_step1:
    input:
        TRAIN_CODE,
    output:
        ckpt=f"{GDIR}/alpha_bridge/b1_{{b1}}/step1.pt",
    params:
        cfg=lambda w: step_json("I"),
        resume=lambda w, output: output.ckpt + ".resume",
    priority: 10  # start the sequential Step chains first: better packing on few cores
    threads: 1
    resources:
        gpu=GPU,
    benchmark:
        "benchmarks/gaussians/alpha_bridge_b1_{b1}_step1.tsv"
    log:
        "logs/gaussians/alpha_bridge_b1_{b1}_step1.log",
    shell:
        "{AB} gaussians-train --config-json {params.cfg:q} --method alpha_bridge --beta1 {wildcards.b1} --step I"
        " --out {output.ckpt} --resume {params.resume} --threads {threads} 2>&1 | tee {log}"


rule gaussians_step2:
    input:
        TRAIN_CODE,
        prev=f"{GDIR}/alpha_bridge/b1_{{b1}}/step1.pt",
    output:
        ckpt=f"{GDIR}/alpha_bridge/b1_{{b1}}/step2.pt",
    params:
        cfg=lambda w: step_json("II"),
        resume=lambda w, output: output.ckpt + ".resume",
    priority: 10  # start the sequential Step chains first: better packing on few cores
    threads: 1
    resources:
        gpu=GPU,
    benchmark:
        "benchmarks/gaussians/alpha_bridge_b1_{b1}_step2.tsv"
    log:
        "logs/gaussians/alpha_bridge_b1_{b1}_step2.log",
    shell:
        "{AB} gaussians-train --config-json {params.cfg:q} --method alpha_bridge --beta1 {wildcards.b1} --step II"
        " --in {input.prev} --out {output.ckpt} --resume {params.resume} --threads {threads} 2>&1 | tee {log}"


rule gaussians_step3:
    input:
        TRAIN_CODE,
        prev=f"{GDIR}/alpha_bridge/b1_{{b1}}/step2.pt",
    output:
        ckpt=f"{GDIR}/alpha_bridge/b1_{{b1}}/step3.pt",
        samples=f"{GDIR}/alpha_bridge/b1_{{b1}}/samples.npz",
    params:
        cfg=lambda w: step_json("III"),
        resume=lambda w, output: output.ckpt + ".resume",
    priority: 10  # start the sequential Step chains first: better packing on few cores
    threads: 1
    resources:
        gpu=GPU,
    benchmark:
        "benchmarks/gaussians/alpha_bridge_b1_{b1}_step3.tsv"
    log:
        "logs/gaussians/alpha_bridge_b1_{b1}_step3.log",
    shell:
        "{AB} gaussians-train --config-json {params.cfg:q} --method alpha_bridge --beta1 {wildcards.b1} --step III"
        " --in {input.prev} --out {output.ckpt} --samples {output.samples} --resume {params.resume}"
        " --threads {threads} 2>&1 | tee {log}"


rule gaussians_baseline:
    input:
        TRAIN_CODE,
    output:
        ckpt=f"{GDIR}/{{baseline}}/b1_{{b1}}/model.pt",
        samples=f"{GDIR}/{{baseline}}/b1_{{b1}}/samples.npz",
    params:
        cfg=lambda w: baseline_json(w.baseline),
        resume=lambda w, output: output.ckpt + ".resume",
    threads: 1
    resources:
        gpu=GPU,
    benchmark:
        "benchmarks/gaussians/{baseline}_b1_{b1}.tsv"
    log:
        "logs/gaussians/{baseline}_b1_{b1}.log",
    shell:
        "{AB} gaussians-train --config-json {params.cfg:q} --method {wildcards.baseline} --beta1 {wildcards.b1}"
        " --step - --out {output.ckpt} --samples {output.samples} --resume {params.resume}"
        " --threads {threads} 2>&1 | tee {log}"


rule gaussians_metrics:
    input:
        METRIC_CODE,
        samples=f"{GDIR}/{{method}}/b1_{{b1}}/samples.npz",
    output:
        csv=f"{GDIR}/{{method}}/b1_{{b1}}/metrics.csv",
        prov=f"{GDIR}/{{method}}/b1_{{b1}}/metrics.provenance.json",
    params:
        cfg=lambda w: metrics_json(w.method),
    threads: 1
    benchmark:
        "benchmarks/gaussians/{method}_b1_{b1}_metrics.tsv"
    log:
        "logs/gaussians/{method}_b1_{b1}_metrics.log",
    shell:
        "{AB} gaussians-metrics --config-json {params.cfg:q} --method {wildcards.method} --beta1 {wildcards.b1}"
        " --samples {input.samples} --out {output.csv} --threads {threads} 2>&1 | tee {log}"


def all_metrics():
    return expand(f"{GDIR}/{{m}}/b1_{{b1}}/metrics.csv", m=G["methods"], b1=G["beta1s"])


rule gaussians_table:
    input:
        METRIC_CODE,
        metrics=all_metrics(),
    output:
        csv=report("results/tables/gaussians_final.csv", caption="../report/gaussians_final.rst", category="25-Gaussians"),
        prov="results/tables/gaussians_final.provenance.json",
    log:
        "logs/gaussians/table.log",
    shell:
        "{AB} gaussians-table --metrics {input.metrics} --out {output.csv} 2>&1 | tee {log}"


rule gaussians_fig4:
    input:
        FIG_CODE,
        metrics=all_metrics(),
    output:
        pdf=report("results/figures/fig4.pdf", caption="../report/fig4.rst", category="25-Gaussians"),
        png="results/figures/fig4.png",
    params:
        cfg=lambda w: full_json(),
    log:
        "logs/gaussians/fig4.log",
    shell:
        "{AB} gaussians-fig4 --config-json {params.cfg:q} --metrics {input.metrics} --pdf {output.pdf}"
        " --png {output.png} 2>&1 | tee {log}"


rule gaussians_fig3:
    input:
        FIG_CODE,
        samples=expand(f"{GDIR}/{{m}}/b1_{G['fig3']['beta1']}/samples.npz", m=G["methods"]),
    output:
        pdf=report("results/figures/fig3.pdf", caption="../report/fig3.rst", category="25-Gaussians"),
        png="results/figures/fig3.png",
    params:
        cfg=lambda w: full_json(),
        methods=" ".join(G["methods"]),
    log:
        "logs/gaussians/fig3.log",
    shell:
        "{AB} gaussians-fig3 --config-json {params.cfg:q} --methods {params.methods} --samples {input.samples}"
        " --beta1 {G[fig3][beta1]} --pdf {output.pdf} --png {output.png} 2>&1 | tee {log}"


rule gaussians_fig1_data:
    input:
        TRAIN_CODE,
        step1=f"{GDIR}/alpha_bridge/b1_{G['fig1']['beta1']}/step1.pt",
    output:
        f"{GDIR}/fig1/b1_{G['fig1']['beta1']}/demo.npz",
    params:
        cfg=lambda w: fig1_json(),
    threads: 1
    log:
        "logs/gaussians/fig1_data.log",
    shell:
        "{AB} gaussians-fig1-data --config-json {params.cfg:q} --step1 {input.step1} --out {output}"
        " --threads {threads} 2>&1 | tee {log}"


rule gaussians_fig1:
    input:
        FIG_CODE,
        demo=rules.gaussians_fig1_data.output[0],
    output:
        pdf=report("results/figures/fig1_gaussians.pdf", caption="../report/fig1_gaussians.rst", category="25-Gaussians"),
        png="results/figures/fig1_gaussians.png",
    params:
        cfg=lambda w: full_json(),
    log:
        "logs/gaussians/fig1.log",
    shell:
        "{AB} gaussians-fig1 --config-json {params.cfg:q} --demo {input.demo} --pdf {output.pdf} --png {output.png}"
        " 2>&1 | tee {log}"
