#!/usr/bin/env bash
# Run the 25-Gaussians alpha-Bridge pipeline under a config override, in its own copy of the
# workflow, so the main results/ are never touched. Stopgap until the ablation sweeps exist as
# Snakemake wildcards.
#
#   bash scripts/try_variant.sh NAME 'YAML override' [TARGET]
#   bash scripts/try_variant.sh gp '{gaussians: {alpha_bridge: {d_reg: gp}}}'
#
# Results land in resources/variants/NAME/results/ (git-ignored); TARGET defaults to the
# alpha_bridge beta1=0.5 metrics table.
set -euo pipefail
cd "$(dirname "$0")/.."
name="$1"; override="$2"; target="${3:-results/gaussians/alpha_bridge/b1_0.5/metrics.csv}"
dir="resources/variants/$name"
mkdir -p "$dir"
rm -rf "$dir/src" "$dir/workflow" "$dir/config" "$dir/envs" "$dir/profiles"
cp -r Snakefile workflow config envs profiles src "$dir/"
printf '%s\n' "$override" > "$dir/override.yaml"
cd "$dir"
../../../.venv/bin/snakemake --cores "${CORES:-1}" "$target" --configfile override.yaml
