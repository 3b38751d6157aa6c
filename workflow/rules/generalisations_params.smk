# Section 3.3: code inputs and paths of the reconstruction rules (no rules here).
RECON_CODE = IMAGE_TRAIN_CODE + pkg("experiments/reconstruction.py", "cli.py")


def recon_ckpts(run, ab, b1):
    return [
        f"{canonical(run, ab, b1, 'I')}/{ab}/b1_{b1}/step1.pt",
        f"{canonical(run, ab, b1, 'III')}/{ab}/b1_{b1}/step3.pt",
    ]


def reconstruction_inputs():
    """alpha-Bridge and every generalisation configured: 25-Gaussians at each beta1, then digits."""
    gauss = [m for m in G["methods"] if m in AB_METHODS] + G["generalisations"]
    out = expand(f"{GDIR}/{{m}}/b1_{{b1}}/reconstruction.csv", m=gauss, b1=G["beta1s"])
    if "digits" in IMG["runs"]:
        ms = ["alpha_bridge"] + IMG["runs"]["digits"]["generalisations"]
        out += expand(f"{IDIR}/digits/{{m}}/reconstruction.csv", m=ms)
    return out
