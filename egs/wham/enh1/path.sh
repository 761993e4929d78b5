# Environment of this recipe: the shared one; add recipe-specific settings below.
. "$(dirname "${BASH_SOURCE[0]}")/../../TEMPLATE/path.sh"
