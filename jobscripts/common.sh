# Shared start of every job script: strict mode is set by the caller; this loads
# the site profile and fails with one clear line if it is missing.
# shellcheck shell=bash
HPCLAB_ROOT="${HPCLAB_ROOT:-${SLURM_SUBMIT_DIR:-$PWD}}"
profile="$HPCLAB_ROOT/jobscripts/site/${HPCLAB_SITE:-local}.sh"
if [[ ! -f "$profile" ]]; then
    echo "hpclab: no site profile $profile; submit from the course root or set HPCLAB_SITE" >&2
    exit 2
fi
# shellcheck source=jobscripts/site/local.sh
source "$profile"
cd "$HPCLAB_ROOT" || exit 2
