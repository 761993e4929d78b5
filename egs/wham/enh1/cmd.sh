# Job backend of this recipe: the shared choice (cmd_backend=local|slurm); override train_cmd/decode_cmd below.
. "$(dirname "${BASH_SOURCE[0]}")/../../TEMPLATE/cmd.sh"
