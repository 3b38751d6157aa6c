"""Device choice and numerics: one detection rule for the Snakefile and the library, the choice
logged with its reason, precision switches applied and recorded, and FID statistics never mixed
across runtimes."""
import json
import pathlib

import numpy as np
import pytest
import torch

from alphabridge import device as dev
from alphabridge import hardware
from alphabridge.config import load_config_files
from alphabridge.experiments import gaussians as ex
from alphabridge.experiments.image_metrics import feature_runtime, load_reference
from alphabridge.metrics.inception import save_stats
from alphabridge.provenance import sidecar_path, write_sidecar
from alphabridge.stages import spec_of
from conftest import REPO, run_snakemake


@pytest.fixture
def restore_numerics():
    before = dev.describe_precision()
    yield
    torch.backends.cuda.matmul.fp32_precision = before["fp32_matmul"]
    torch.backends.cudnn.conv.fp32_precision = before["fp32_conv"]
    torch.backends.cudnn.benchmark = before["cudnn_benchmark"]
    torch.backends.cudnn.deterministic = False
    torch.use_deterministic_algorithms(before["deterministic"])


def test_device_choice_is_logged_with_its_reason(capsys):
    assert dev.resolve("cpu") == torch.device("cpu")
    assert "device: cpu (config device: cpu; config says cpu)" in capsys.readouterr().err
    ok, why = dev.cuda_usable()
    assert dev.resolve("auto") == torch.device("cuda" if ok else "cpu")
    assert why in capsys.readouterr().err
    assert hardware.planned_device("cuda") == "cuda" and hardware.planned_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="'device'"):
        dev.resolve("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_cuda_requested_without_a_gpu_fails_fast_saying_why():
    with pytest.raises(RuntimeError, match="config device: 'cuda' but torch .* no CUDA device"):
        dev.resolve("cuda")


def test_precision_switches_are_applied_and_described(restore_numerics):
    got = dev.apply_precision(dev.Precision(tf32=True, deterministic=False, cudnn_benchmark=True))
    assert got == {"fp32_matmul": "tf32", "fp32_conv": "tf32", "cudnn_benchmark": True, "deterministic": False}
    got = dev.apply_precision(dev.Precision(tf32=False, deterministic=True, cudnn_benchmark=True))
    assert got == {"fp32_matmul": "ieee", "fp32_conv": "ieee", "cudnn_benchmark": False, "deterministic": True}
    assert torch.backends.cudnn.deterministic


def _cfg():
    cfg = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
    return {k: cfg[k] for k in ("device", "precision", "gamma", "gaussians")} | {"device": "cpu"}


def test_runtime_enters_checkpoint_provenance_and_resume_fingerprint(tmp_path, restore_numerics):
    cfg = _cfg()
    cfg["gaussians"]["alpha_bridge"]["step1_iters"] = 20
    out = tmp_path / "s1.pt"
    kw = dict(in_ckpt=None, samples_out=tmp_path / "samples.npz", resume_path=None, progress=False)

    def train(cfg, out):
        spec, data = spec_of("gaussians_train", cfg, method="alpha_bridge", beta1=0.5, step="I")
        ex.train_step(spec=spec, data=data, out_ckpt=out, **kw)

    train(cfg, out)
    ck = torch.load(out, weights_only=False)
    run = ck["runtimes"][-1]
    assert run["device"] == "cpu" and run["step"] == "I" and run["fp32_matmul"] == "ieee"
    side = json.loads(sidecar_path(tmp_path / "samples.npz").read_text())
    assert side["runtimes"] == ck["runtimes"] and side["device"].startswith("cpu")
    # a downstream table records where its inputs were trained
    write_sidecar(tmp_path / "metrics.csv", config_slice={}, device="cpu", inputs=[tmp_path / "samples.npz"])
    down = json.loads(sidecar_path(tmp_path / "metrics.csv").read_text())
    assert down["inputs_runtimes"] == {str(tmp_path / "samples.npz"): ck["runtimes"]}
    # another precision is another fingerprint: a resume file of one never continues the other
    cfg["precision"] = {**cfg["precision"], "tf32": True}
    train(cfg, tmp_path / "s1b.pt")
    assert torch.load(tmp_path / "s1b.pt", weights_only=False)["fingerprint"] != ck["fingerprint"]


def test_reference_statistics_refuse_features_of_another_runtime(tmp_path):
    path = tmp_path / "ref.npz"
    save_stats(path, mu=np.zeros(3), sigma=np.eye(3), meta={"runtime": feature_runtime("cpu")})
    mu, sigma = load_reference(path, device="cpu")
    assert mu.shape == (3,) and sigma.shape == (3, 3)
    save_stats(path, mu=np.zeros(3), sigma=np.eye(3),
               meta={"runtime": {"device": "cuda", "fp32_conv": "tf32", "fp32_matmul": "ieee"}})
    with pytest.raises(ValueError, match="computed under .*cuda.* delete .*ref.npz"):
        load_reference(path, device="cpu")
    np.savez(path, mu=np.zeros(3), sigma=np.eye(3))  # pytorch-fid's own file: no record, accepted
    assert load_reference(path, device="cpu")[0].shape == (3,)


def _gpu_of_jobs(stdout: str) -> dict:
    """rule name -> set of 'gpu' resource values in a dry run's job list."""
    out, rule = {}, None
    for line in stdout.splitlines():
        if line.startswith("rule "):
            rule = line[5:].rstrip(":")
        elif line.strip().startswith("resources:") and rule:
            res = dict(kv.strip().split("=", 1) for kv in line.split(":", 1)[1].split(","))
            out.setdefault(rule, set()).add(int(res.get("gpu", 0)))
    return out


@pytest.mark.workflow
def test_rules_that_use_cuda_declare_the_gpu_and_share_it_by_slots():
    targets = ["results/figures/fig4.pdf", "results/figures/fig1.pdf", "results/figures/fig6.pdf",
               "results/tables/digits.csv", "results/images/digits/alpha_bridge/metrics.csv"]
    cuda = _gpu_of_jobs(run_snakemake(["-n", "--forceall", *targets, "--config", "device=cuda"], cwd=REPO).stdout)
    for rule in ("gaussians_step1", "gaussians_step2", "gaussians_step3", "gaussians_baseline", "gaussians_fig1_data"):
        assert cuda[rule] == {1}, rule  # a slot: several 25-Gaussians jobs share the card
    for rule in ("image_step1", "image_step2", "image_step3", "image_one_run", "image_fig1_data", "image_fig6_data",
                 "image_classifier", "image_ref_stats", "image_metrics", "image_final"):
        assert cuda[rule] == {6}, rule  # the whole card (profiles/default: gpu=6)
    assert cuda["gaussians_metrics"] == {0} and cuda["gaussians_fig4"] == {0}  # CPU work
    cpu = _gpu_of_jobs(run_snakemake(["-n", "--forceall", *targets, "--config", "device=cpu"], cwd=REPO).stdout)
    assert set().union(*cpu.values()) == {0}


def _alphabridge_imports(module: str) -> set[str]:
    """src/alphabridge/... files that `module` imports, directly or not (every import statement,
    also those inside functions)."""
    import ast

    src = REPO / "src"
    todo, seen = [module], set()
    while todo:
        mod = todo.pop()
        path = src / (mod.replace(".", "/") + ".py")
        if not path.exists():
            path = src / mod.replace(".", "/") / "__init__.py"
        if not path.exists() or str(path) in seen:
            continue
        seen.add(str(path))
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("alphabridge"):
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            todo += [n for n in names if n.startswith("alphabridge")]
    return {str(pathlib.Path(p).relative_to(REPO)) for p in seen}


@pytest.mark.workflow
@pytest.mark.parametrize("rule,entry", [("gaussians_step1", "alphabridge.experiments.gaussians"),
                                        ("image_step1", "alphabridge.experiments.images"),
                                        ("image_metrics", "alphabridge.experiments.image_metrics")])
def test_training_rules_depend_on_every_module_their_code_imports(rule, entry):
    """Editing any module a training job runs (e.g. train/draws.py) must re-run that job."""
    proc = run_snakemake(["-n", "--forceall", "results/figures/fig4.pdf", "results/tables/digits.csv",
                          "results/images/digits/alpha_bridge/metrics.csv"], cwd=REPO)
    blocks = proc.stdout.split("\nrule ")
    inputs = next(b for b in blocks if b.startswith(f"{rule}:")).split("input: ", 1)[1].split("\n", 1)[0]
    declared = {p.strip() for p in inputs.split(",")}
    missing = {p for p in _alphabridge_imports(entry) if p.endswith(".py") and not p.endswith("__init__.py")} - declared
    assert not missing, f"{rule} does not list {sorted(missing)} as inputs"
