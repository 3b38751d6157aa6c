"""config/config.yaml's values as library objects, for tests, benchmarks and notebooks that call
the library directly. The library's dataclasses carry no defaults of their own: every value the
pipeline uses comes from the config file, parsed by the same stage declarations the rules use."""
from __future__ import annotations

import copy
import dataclasses
from functools import lru_cache
from pathlib import Path

from alphabridge.config import ConfigError, load_config_files
from alphabridge.typed import from_dict
from alphabridge.data.gaussians import GaussiansData
from alphabridge.stages import spec_of

CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"  # the checkout's config


@lru_cache(maxsize=None)
def _config() -> dict:
    if not CONFIG.exists():
        raise ConfigError(f"{CONFIG} not found: alphabridge.defaults reads a checkout's config/config.yaml "
                          "(install the package editable from the repo: pip install -e .)")
    return load_config_files([CONFIG]) | {"device": "cpu"}


def config() -> dict:
    """A fresh copy of config/config.yaml (device: cpu), safe to modify."""
    return copy.deepcopy(_config())


def train_config(*, method: str = "alpha_bridge", **override):
    """The 25-Gaussians TrainConfig of `method` (beta1 of gaussians.fig1), with fields replaced."""
    spec, _ = spec_of("gaussians_train", _config(), method=method, beta1=_config()["gaussians"]["fig1"]["beta1"],
                      step="I" if method.startswith("alpha_bridge") else "-")
    return dataclasses.replace(spec.train, **override)


def mlp(**override):
    return dataclasses.replace(train_config().model, **override)


def segment(step: str, *, method: str = "alpha_bridge", **override):
    """The Segment of alpha-Bridge's Step `step` (or a one-run method's '-'), with fields replaced."""
    spec, _ = spec_of("gaussians_train", _config(), method=method, beta1=0.5, step=step)
    return dataclasses.replace(spec.segment, **override)


def gaussians_data(**override):
    """gaussians.data, all splits (the training stage reads only the train split), with fields replaced."""
    return dataclasses.replace(from_dict(GaussiansData, _config()["gaussians"]["data"]), **override)


def image_data(name: str = "digits", **override):
    """The data config of images.runs.<name>, with fields replaced."""
    return dataclasses.replace(spec_of("image_data", _config(), dataset=name), **override)


def gamma():
    return spec_of("fig2_data", _config())[1]
