#!/bin/bash
# JupyterLab on a compute node, reached from your laptop through an SSH tunnel.
# Submit from the course root:  sbatch jobscripts/jupyter.sh   then read the .out file
#SBATCH --job-name=jupyter     # name shown by squeue; %x in --output
#SBATCH --ntasks=1             # one server process ...
#SBATCH --cpus-per-task=2      # ... and the cores your notebooks (and local Dask) may use
#SBATCH --mem-per-cpu=2G       # memory per CPU; hpclab.cluster.start() shares it out among workers
#SBATCH --time=02:00:00        # the allocation is charged while it runs: scancel when done
#SBATCH --output=%x-%j.out     # %x = job name, %j = job id
set -euo pipefail
# shellcheck source=jobscripts/common.sh
source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"

# A free port on this node, chosen now: never a fixed one on a shared cluster.
port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
node=$(hostname)
login="${SLURM_SUBMIT_HOST:-login-node}"
cat <<MSG
JupyterLab is starting on $node, port $port. On your laptop run:

    ssh -N -L 8888:localhost:$port -J $USER@$login $USER@$node

then open the http://127.0.0.1:$port/lab?token=... link printed below, with 8888 in place of $port.
When you are done: scancel $SLURM_JOB_ID
MSG

# The server is the job's only process, so it runs in the batch step itself
# (no srun): `scancel` stops it, and the notebooks' own clusters live inside it.
server_options=(--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port="$port" --ServerApp.root_dir="$HPCLAB_ROOT")
# Jobs on the virtual cluster run as root; Jupyter refuses that unless told.
if [[ "$(id -u)" == 0 ]]; then
    server_options+=(--allow-root)
fi

# HPCLAB_JUPYTER_SMOKE=1 (the tests): start, check the server answers, stop.
if [[ "${HPCLAB_JUPYTER_SMOKE:-0}" == 1 ]]; then
    jupyter lab "${server_options[@]}" &
    server=$!
    for _ in $(seq 120); do
        if python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
               "http://127.0.0.1:$port/api" 2>/dev/null; then
            echo "JupyterLab is serving on $node:$port"
            kill -TERM "$server"   # (SIGINT would wait for a confirmation)
            wait "$server" || true
            exit 0
        fi
        if ! kill -0 "$server" 2>/dev/null; then
            echo "JupyterLab exited before it answered (see the messages above)" >&2
            exit 1
        fi
        sleep 0.5
    done
    kill "$server"
    echo "JupyterLab did not answer within 60 s" >&2
    exit 1
fi
exec jupyter lab "${server_options[@]}"
