# How job commands run (sourced by every recipe's cmd.sh): "local" (this machine) or "slurm" (sbatch;
# see the recipe's conf/slurm.conf). Choose with the environment variable cmd_backend.
cmd_backend=${cmd_backend:-local}
case "$cmd_backend" in
  local) train_cmd="local.sh"; decode_cmd="local.sh" ;;
  slurm) train_cmd="slurm.sh --config conf/slurm.conf"; decode_cmd="slurm.sh --config conf/slurm.conf" ;;
  *) echo "cmd.sh: unknown cmd_backend '$cmd_backend' (local or slurm)" >&2; exit 1 ;;
esac
export train_cmd decode_cmd
