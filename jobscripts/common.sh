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

# dask_tls DIR: new TLS credentials for this job's Dask cluster in DIR (mode 0700:
# only you can read them), and Dask's configuration pointing at them, exported so
# that every srun task inherits it: the scheduler, the workers and the clients
# then speak tls:// and refuse a client without the credentials (lesson 10). DIR
# must be on a filesystem every node sees (beside the scheduler file, never a
# node-local $TMPDIR); remove it when the job ends: trap 'rm -rf "$DIR"' EXIT.
dask_tls() {
    local exports
    exports=$(python -m hpclab.cli tls job "$1")
    eval "$exports"
}
