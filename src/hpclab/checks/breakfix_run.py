"""The run of lesson 13's cases recorded on the course's virtual cluster (written by a script; do not edit).

``hpclab.checks.breakfix`` grades against it where there is no Slurm (a laptop, ``hpclab grade``'s
sandbox); the lesson replays it there. Remade from a live run of the lesson with
``python jobscripts/programs/breakfix_record.py results/13-break-it-fix-it/<time>/run.json``.
"""

from typing import Any

# fmt: off
RECORDED: dict[str, Any] = {'dask': {'exit_code': '124:0',
          'interfaces': {'eth0': '10.213.103.12', 'lo': '127.0.0.1'},
          'job_id': '34843016',
          'options': ['--export=ALL,HPCLAB_IFACE=lo,BREAKFIX_TIMEOUT=20'],
          'output': 'interface: lo\n'
                    'scheduler file: /work/main/results/breakfix-dask-34843016.json\n'
                    '0: 2026-12-06 18:42:32,560 - distributed.scheduler - INFO - State start\n'
                    '0: 2026-12-06 18:42:32,565 - distributed.scheduler - INFO -   Scheduler at:     '
                    'tls://127.0.0.1:40105\n'
                    '0: 2026-12-06 18:42:32,565 - distributed.scheduler - INFO -   dashboard at:  '
                    'http://127.0.0.1:33161/status\n'
                    '0: 2026-12-06 18:42:32,566 - distributed.scheduler - INFO - Registering Worker plugin '
                    'shuffle\n'
                    '0: 2026-12-06 18:42:32,843 - distributed.scheduler - INFO - Receive client connection: '
                    'Client-cc30b48a-f1a4-11f1-a021-664a66904574\n'
                    '0: 2026-12-06 18:42:32,850 - distributed.core - INFO - Starting established connection '
                    'to tls://127.0.0.1:48540\n'
                    '0: 2026-12-06 18:42:51,189 - distributed.core - INFO - Connection to '
                    'tls://127.0.0.1:48540 has been closed.\n'
                    '0: 2026-12-06 18:42:51,190 - distributed.scheduler - INFO - Remove client '
                    'Client-cc30b48a-f1a4-11f1-a021-664a66904574\n'
                    '0: 2026-12-06 18:42:51,191 - distributed.scheduler - INFO - Close client connection: '
                    'Client-cc30b48a-f1a4-11f1-a021-664a66904574\n'
                    'node2 sees /work/main/results/breakfix-dask-34843016.json\n'
                    'node1 sees /work/main/results/breakfix-dask-34843016.json\n'
                    '0: slurmstepd-node1: error: *** STEP 34843016.0 ON node1 FAILED (non-zero exit code or '
                    'other failure mode) ***\n'
                    'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                    'srun: error: node2: task 1: Terminated\n'
                    'srun: launch/slurm: _step_signal: Terminating StepId=34843016.0\n'
                    'srun: error: node1: task 0: Terminated\n',
          'sacct': [{'AllocCPUS': '2',
                     'Elapsed': '00:00:21',
                     'ExitCode': '124:0',
                     'JobID': '34843016',
                     'JobName': 'breakfix-dask',
                     'MaxRSS': '',
                     'ReqMem': '1000M',
                     'State': 'FAILED',
                     'Timelimit': '00:02:00',
                     'TotalCPU': '00:03.594'},
                    {'AllocCPUS': '1',
                     'Elapsed': '00:00:21',
                     'ExitCode': '124:0',
                     'JobID': '34843016.batch',
                     'JobName': 'batch',
                     'MaxRSS': '77140K',
                     'ReqMem': '',
                     'State': 'FAILED',
                     'Timelimit': '',
                     'TotalCPU': '00:01.164'},
                    {'AllocCPUS': '2',
                     'Elapsed': '00:00:20',
                     'ExitCode': '0:15',
                     'JobID': '34843016.0',
                     'JobName': 'python',
                     'MaxRSS': '121684K',
                     'ReqMem': '',
                     'State': 'CANCELLED',
                     'Timelimit': '',
                     'TotalCPU': '00:02.416'},
                    {'AllocCPUS': '2',
                     'Elapsed': '00:00:00',
                     'ExitCode': '0:0',
                     'JobID': '34843016.1',
                     'JobName': 'bash',
                     'MaxRSS': '',
                     'ReqMem': '',
                     'State': 'COMPLETED',
                     'Timelimit': '',
                     'TotalCPU': '00:00.013'}],
          'state': 'FAILED'},
 'dask_tmp': {'exit_code': '124:0',
              'interfaces': {'eth0': '10.213.103.12', 'lo': '127.0.0.1'},
              'job_id': '34843018',
              'options': ['--export=ALL,BREAKFIX_SCHEDULER_DIR=/tmp,BREAKFIX_TIMEOUT=10'],
              'output': 'interface: eth0\n'
                        'scheduler file: /tmp/breakfix-dask-34843018.json\n'
                        '0: 2026-12-06 18:43:03,927 - distributed.scheduler - INFO - State start\n'
                        '0: 2026-12-06 18:43:03,931 - distributed.scheduler - INFO -   Scheduler at: '
                        'tls://10.213.103.11:37039\n'
                        '0: 2026-12-06 18:43:03,932 - distributed.scheduler - INFO -   dashboard at:  '
                        'http://10.213.103.11:43213/status\n'
                        '0: 2026-12-06 18:43:03,932 - distributed.scheduler - INFO - Registering Worker '
                        'plugin shuffle\n'
                        '0: 2026-12-06 18:43:04,213 - distributed.scheduler - INFO - Receive client '
                        'connection: Client-dee4983f-f1a4-11f1-a2da-664a66904574\n'
                        '0: 2026-12-06 18:43:04,218 - distributed.core - INFO - Starting established '
                        'connection to tls://10.213.103.11:32952\n'
                        '0: 2026-12-06 18:43:12,427 - distributed.core - INFO - Connection to '
                        'tls://10.213.103.11:32952 has been closed.\n'
                        '0: 2026-12-06 18:43:12,427 - distributed.scheduler - INFO - Remove client '
                        'Client-dee4983f-f1a4-11f1-a2da-664a66904574\n'
                        '0: 2026-12-06 18:43:12,429 - distributed.scheduler - INFO - Close client '
                        'connection: Client-dee4983f-f1a4-11f1-a2da-664a66904574\n'
                        'node2 has no /tmp/breakfix-dask-34843018.json\n'
                        'node1 sees /tmp/breakfix-dask-34843018.json\n'
                        '0: slurmstepd-node1: error: *** STEP 34843018.0 ON node1 FAILED (non-zero exit code '
                        'or other failure mode) ***\n'
                        'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                        'srun: error: node2: task 1: Terminated\n'
                        'srun: launch/slurm: _step_signal: Terminating StepId=34843018.0\n'
                        'srun: error: node1: task 0: Terminated\n',
              'sacct': [{'AllocCPUS': '2',
                         'Elapsed': '00:00:12',
                         'ExitCode': '124:0',
                         'JobID': '34843018',
                         'JobName': 'breakfix-dask',
                         'MaxRSS': '',
                         'ReqMem': '1000M',
                         'State': 'FAILED',
                         'Timelimit': '00:02:00',
                         'TotalCPU': '00:03.683'},
                        {'AllocCPUS': '1',
                         'Elapsed': '00:00:12',
                         'ExitCode': '124:0',
                         'JobID': '34843018.batch',
                         'JobName': 'batch',
                         'MaxRSS': '77288K',
                         'ReqMem': '',
                         'State': 'FAILED',
                         'Timelimit': '',
                         'TotalCPU': '00:01.346'},
                        {'AllocCPUS': '2',
                         'Elapsed': '00:00:10',
                         'ExitCode': '0:15',
                         'JobID': '34843018.0',
                         'JobName': 'python',
                         'MaxRSS': '121352K',
                         'ReqMem': '',
                         'State': 'CANCELLED',
                         'Timelimit': '',
                         'TotalCPU': '00:02.324'},
                        {'AllocCPUS': '2',
                         'Elapsed': '00:00:00',
                         'ExitCode': '0:0',
                         'JobID': '34843018.1',
                         'JobName': 'bash',
                         'MaxRSS': '',
                         'ReqMem': '',
                         'State': 'COMPLETED',
                         'Timelimit': '',
                         'TotalCPU': '00:00.012'}],
              'state': 'FAILED'},
 'hang': {'exit_code': '1:0',
          'job_id': '34843003',
          'output': '1: rank 1 of 2 on node2\n'
                    '0: rank 0 of 2 on node1\n'
                    '0: Current thread 0x00007fa3c1c1cb80 (most recent call first):\n'
                    '0:   File "jobscripts/programs/breakfix_ring.py", line 29 in <module>\n'
                    '0:   File "<frozen runpy>", line 88 in _run_code\n'
                    '0:   File "<frozen runpy>", line 98 in _run_module_code\n'
                    '0:   File "<frozen runpy>", line 291 in run_path\n'
                    '0:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/run.py", line 53 in '
                    'run_command_line\n'
                    '0:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/run.py", line 320 in '
                    'main\n'
                    '0:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/__main__.py", line 8 in '
                    '<module>\n'
                    '0:   File "<frozen runpy>", line 88 in _run_code\n'
                    '0:   File "<frozen runpy>", line 198 in _run_module_as_main\n'
                    '1: Current thread 0x00007fb3a97f5b80 (most recent call first):\n'
                    '1:   File "jobscripts/programs/breakfix_ring.py", line 29 in <module>\n'
                    '1:   File "<frozen runpy>", line 88 in _run_code\n'
                    '1:   File "<frozen runpy>", line 98 in _run_module_code\n'
                    '1:   File "<frozen runpy>", line 291 in run_path\n'
                    '1:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/run.py", line 53 in '
                    'run_command_line\n'
                    '1:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/run.py", line 320 in '
                    'main\n'
                    '1:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/__main__.py", line 8 in '
                    '<module>\n'
                    '1:   File "<frozen runpy>", line 88 in _run_code\n'
                    '1:   File "<frozen runpy>", line 198 in _run_module_as_main\n'
                    '0: Timeout (0:00:20)!\n'
                    '0: Thread 0x00007fa3c1c1cb80 (most recent call first):\n'
                    '0:   File "jobscripts/programs/breakfix_ring.py", line 29 in <module>\n'
                    '0:   File "<frozen runpy>", line 88 in _run_code\n'
                    '0:   File "<frozen runpy>", line 98 in _run_module_code\n'
                    '0:   File "<frozen runpy>", line 291 in run_path\n'
                    '0:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/run.py", line 53 in '
                    'run_command_line\n'
                    '0:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/run.py", line 320 in '
                    'main\n'
                    '0:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/__main__.py", line 8 in '
                    '<module>\n'
                    '0:   File "<frozen runpy>", line 88 in _run_code\n'
                    '0:   File "<frozen runpy>", line 198 in _run_module_as_main\n'
                    '1: Timeout (0:00:20)!\n'
                    '1: Thread 0x00007fb3a97f5b80 (most recent call first):\n'
                    '1:   File "jobscripts/programs/breakfix_ring.py", line 29 in <module>\n'
                    '1:   File "<frozen runpy>", line 88 in _run_code\n'
                    '1:   File "<frozen runpy>", line 98 in _run_module_code\n'
                    '1:   File "<frozen runpy>", line 291 in run_path\n'
                    '1:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/run.py", line 53 in '
                    'run_command_line\n'
                    '1:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/run.py", line 320 in '
                    'main\n'
                    '1:   File "/work/main/.venv/lib/python3.11/site-packages/mpi4py/__main__.py", line 8 in '
                    '<module>\n'
                    '1:   File "<frozen runpy>", line 88 in _run_code\n'
                    '1:   File "<frozen runpy>", line 198 in _run_module_as_main\n'
                    'srun: error: node2: task 1: Exited with exit code 1\n'
                    'srun: launch/slurm: _step_signal: Terminating StepId=34843003.0\n'
                    'srun: error: node1: task 0: Exited with exit code 1\n',
          'sacct': [{'AllocCPUS': '2',
                     'Elapsed': '00:00:20',
                     'ExitCode': '1:0',
                     'JobID': '34843003',
                     'JobName': 'breakfix-hang',
                     'MaxRSS': '',
                     'ReqMem': '600M',
                     'State': 'FAILED',
                     'Timelimit': '00:02:00',
                     'TotalCPU': '00:38.977'},
                    {'AllocCPUS': '1',
                     'Elapsed': '00:00:20',
                     'ExitCode': '1:0',
                     'JobID': '34843003.batch',
                     'JobName': 'batch',
                     'MaxRSS': '12692K',
                     'ReqMem': '',
                     'State': 'FAILED',
                     'Timelimit': '',
                     'TotalCPU': '00:00.017'},
                    {'AllocCPUS': '2',
                     'Elapsed': '00:00:20',
                     'ExitCode': '1:0',
                     'JobID': '34843003.0',
                     'JobName': 'python',
                     'MaxRSS': '55168K',
                     'ReqMem': '',
                     'State': 'FAILED',
                     'Timelimit': '',
                     'TotalCPU': '00:38.959'}],
          'state': 'FAILED'},
 'killed': {'exit_code': '1:0',
            'job_id': '34843021',
            'output': '0: 2026-12-06 18:43:57,281 - distributed.scheduler - INFO - State start\n'
                      '0: 2026-12-06 18:43:57,286 - distributed.scheduler - INFO -   Scheduler at: '
                      'tls://10.213.103.11:45333\n'
                      '0: 2026-12-06 18:43:57,286 - distributed.scheduler - INFO -   dashboard at:  '
                      'http://10.213.103.11:42703/status\n'
                      '0: 2026-12-06 18:43:57,287 - distributed.scheduler - INFO - Registering Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 18:43:57,318 - distributed.nanny - INFO -         Start Nanny at: '
                      "'tls://10.213.103.11:44593'\n"
                      '0: 2026-12-06 18:43:57,659 - distributed.scheduler - INFO - Receive client '
                      'connection: Client-fec37133-f1a4-11f1-a62d-664a66904574\n'
                      '0: 2026-12-06 18:43:57,664 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:47494\n'
                      '1: 2026-12-06 18:43:57,695 - distributed.worker - INFO -       Start worker at:  '
                      'tls://10.213.103.11:33785\n'
                      '1: 2026-12-06 18:43:57,696 - distributed.worker - INFO -          Listening to:  '
                      'tls://10.213.103.11:33785\n'
                      '1: 2026-12-06 18:43:57,696 - distributed.worker - INFO -           Worker '
                      'name:                 dask_mpi-1\n'
                      '1: 2026-12-06 18:43:57,696 - distributed.worker - INFO -          dashboard '
                      'at:        10.213.103.11:41793\n'
                      '1: 2026-12-06 18:43:57,696 - distributed.worker - INFO - Waiting to connect to:  '
                      'tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:57,696 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 18:43:57,696 - distributed.worker - INFO -               '
                      'Threads:                          1\n'
                      '1: 2026-12-06 18:43:57,696 - distributed.worker - INFO -                '
                      'Memory:                 300.00 MiB\n'
                      '1: 2026-12-06 18:43:57,696 - distributed.worker - INFO -       Local Directory: '
                      '/tmp/dask-scratch-space/worker-4tiaw5_2\n'
                      '1: 2026-12-06 18:43:57,696 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '0: 2026-12-06 18:43:57,710 - distributed.scheduler - INFO - Register worker addr: '
                      'tls://10.213.103.11:33785 name: dask_mpi-1\n'
                      '0: 2026-12-06 18:43:57,710 - distributed.scheduler - INFO - Starting worker compute '
                      'stream, tls://10.213.103.11:33785\n'
                      '0: 2026-12-06 18:43:57,710 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:47514\n'
                      '1: 2026-12-06 18:43:57,711 - distributed.worker - INFO - Starting Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 18:43:57,711 - distributed.worker - INFO -         Registered to:  '
                      'tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:57,711 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 18:43:57,711 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:45333\n'
                      'worker tls://10.213.103.11:33785: 1 thread(s), memory limit 300 MiB, holding 62 MiB '
                      'before any block\n'
                      '2 blocks of 400 MB: each task holds one block while it runs\n'
                      '1: 2026-12-06 18:43:58,217 - distributed.worker.memory - WARNING - Unmanaged memory '
                      'use is high. This may indicate a memory leak or the memory may not be released to the '
                      'OS; see '
                      'https://distributed.dask.org/en/latest/worker-memory.html#memory-not-released-back-to-the-os '
                      'for more information. -- Unmanaged memory: 230.24 MiB -- Worker memory limit: 300.00 '
                      'MiB\n'
                      '1: 2026-12-06 18:43:58,340 - distributed.worker.memory - WARNING - Worker is at 87% '
                      'memory usage. Pausing worker.  Process memory: 262.24 MiB -- Worker memory limit: '
                      '300.00 MiB\n'
                      '1: 2026-12-06 18:43:58,436 - distributed.nanny.memory - WARNING - Worker '
                      'tls://10.213.103.11:33785 (pid=9806) exceeded 95% memory budget. Restarting...\n'
                      '0: 2026-12-06 18:43:58,446 - distributed.core - INFO - Connection to '
                      'tls://10.213.103.11:47514 has been closed.\n'
                      '0: 2026-12-06 18:43:58,446 - distributed.scheduler - INFO - Remove worker addr: '
                      'tls://10.213.103.11:33785 name: dask_mpi-1 '
                      "(stimulus_id='handle-worker-cleanup-1796582638.446399')\n"
                      '0: 2026-12-06 18:43:58,446 - distributed.scheduler - INFO - Lost all workers\n'
                      '1: 2026-12-06 18:43:58,446 - distributed.nanny - INFO - Worker process 9806 was '
                      'killed by signal 15\n'
                      '1: 2026-12-06 18:43:58,448 - distributed.nanny - INFO - Unregistering worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 18:43:58,449 - distributed.nanny - WARNING - Restarting worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO -       Start worker at:  '
                      'tls://10.213.103.11:34571\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO -          Listening to:  '
                      'tls://10.213.103.11:34571\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO -           Worker '
                      'name:                 dask_mpi-1\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO -          dashboard '
                      'at:        10.213.103.11:36921\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO - Waiting to connect to:  '
                      'tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO -               '
                      'Threads:                          1\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO -                '
                      'Memory:                 300.00 MiB\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO -       Local Directory: '
                      '/tmp/dask-scratch-space/worker-h3jbh0qi\n'
                      '1: 2026-12-06 18:43:58,813 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '0: 2026-12-06 18:43:58,827 - distributed.scheduler - INFO - Register worker addr: '
                      'tls://10.213.103.11:34571 name: dask_mpi-1\n'
                      '0: 2026-12-06 18:43:58,827 - distributed.scheduler - INFO - Starting worker compute '
                      'stream, tls://10.213.103.11:34571\n'
                      '0: 2026-12-06 18:43:58,827 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:47530\n'
                      '1: 2026-12-06 18:43:58,828 - distributed.worker - INFO - Starting Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 18:43:58,828 - distributed.worker - INFO -         Registered to:  '
                      'tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:58,828 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 18:43:58,829 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:58,940 - distributed.nanny.memory - WARNING - Worker '
                      'tls://10.213.103.11:34571 (pid=9827) exceeded 95% memory budget. Restarting...\n'
                      '0: 2026-12-06 18:43:58,947 - distributed.core - INFO - Connection to '
                      'tls://10.213.103.11:47530 has been closed.\n'
                      '0: 2026-12-06 18:43:58,947 - distributed.scheduler - INFO - Remove worker addr: '
                      'tls://10.213.103.11:34571 name: dask_mpi-1 '
                      "(stimulus_id='handle-worker-cleanup-1796582638.9472713')\n"
                      '0: 2026-12-06 18:43:58,947 - distributed.scheduler - INFO - Lost all workers\n'
                      '1: 2026-12-06 18:43:58,947 - distributed.nanny - INFO - Worker process 9827 was '
                      'killed by signal 15\n'
                      '1: 2026-12-06 18:43:58,948 - distributed.nanny - INFO - Unregistering worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 18:43:58,948 - distributed.nanny - WARNING - Restarting worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO -       Start worker at:  '
                      'tls://10.213.103.11:33635\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO -          Listening to:  '
                      'tls://10.213.103.11:33635\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO -           Worker '
                      'name:                 dask_mpi-1\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO -          dashboard '
                      'at:        10.213.103.11:46085\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO - Waiting to connect to:  '
                      'tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO -               '
                      'Threads:                          1\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO -                '
                      'Memory:                 300.00 MiB\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO -       Local Directory: '
                      '/tmp/dask-scratch-space/worker-afgul_ja\n'
                      '1: 2026-12-06 18:43:59,299 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '0: 2026-12-06 18:43:59,311 - distributed.scheduler - INFO - Register worker addr: '
                      'tls://10.213.103.11:33635 name: dask_mpi-1\n'
                      '0: 2026-12-06 18:43:59,311 - distributed.scheduler - INFO - Starting worker compute '
                      'stream, tls://10.213.103.11:33635\n'
                      '0: 2026-12-06 18:43:59,311 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:47546\n'
                      '1: 2026-12-06 18:43:59,312 - distributed.worker - INFO - Starting Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 18:43:59,312 - distributed.worker - INFO -         Registered to:  '
                      'tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:59,312 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 18:43:59,312 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:59,432 - distributed.worker.memory - WARNING - Worker is at 98% '
                      'memory usage. Pausing worker.  Process memory: 294.40 MiB -- Worker memory limit: '
                      '300.00 MiB\n'
                      '1: 2026-12-06 18:43:59,432 - distributed.worker.memory - WARNING - Unmanaged memory '
                      'use is high. This may indicate a memory leak or the memory may not be released to the '
                      'OS; see '
                      'https://distributed.dask.org/en/latest/worker-memory.html#memory-not-released-back-to-the-os '
                      'for more information. -- Unmanaged memory: 294.40 MiB -- Worker memory limit: 300.00 '
                      'MiB\n'
                      '1: 2026-12-06 18:43:59,435 - distributed.nanny.memory - WARNING - Worker '
                      'tls://10.213.103.11:33635 (pid=9840) exceeded 95% memory budget. Restarting...\n'
                      '0: 2026-12-06 18:43:59,446 - distributed.core - INFO - Connection to '
                      'tls://10.213.103.11:47546 has been closed.\n'
                      '0: 2026-12-06 18:43:59,446 - distributed.scheduler - INFO - Remove worker addr: '
                      'tls://10.213.103.11:33635 name: dask_mpi-1 '
                      "(stimulus_id='handle-worker-cleanup-1796582639.446912')\n"
                      '0: 2026-12-06 18:43:59,447 - distributed.scheduler - INFO - Lost all workers\n'
                      '1: 2026-12-06 18:43:59,446 - distributed.nanny - INFO - Worker process 9840 was '
                      'killed by signal 15\n'
                      '1: 2026-12-06 18:43:59,447 - distributed.nanny - INFO - Unregistering worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 18:43:59,448 - distributed.nanny - WARNING - Restarting worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO -       Start worker at:  '
                      'tls://10.213.103.11:45057\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO -          Listening to:  '
                      'tls://10.213.103.11:45057\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO -           Worker '
                      'name:                 dask_mpi-1\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO -          dashboard '
                      'at:        10.213.103.11:36347\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO - Waiting to connect to:  '
                      'tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO -               '
                      'Threads:                          1\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO -                '
                      'Memory:                 300.00 MiB\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO -       Local Directory: '
                      '/tmp/dask-scratch-space/worker-4zd48sln\n'
                      '1: 2026-12-06 18:43:59,803 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '0: 2026-12-06 18:43:59,820 - distributed.scheduler - INFO - Register worker addr: '
                      'tls://10.213.103.11:45057 name: dask_mpi-1\n'
                      '0: 2026-12-06 18:43:59,821 - distributed.scheduler - INFO - Starting worker compute '
                      'stream, tls://10.213.103.11:45057\n'
                      '0: 2026-12-06 18:43:59,821 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:47558\n'
                      '1: 2026-12-06 18:43:59,821 - distributed.worker - INFO - Starting Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 18:43:59,822 - distributed.worker - INFO -         Registered to:  '
                      'tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:59,822 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 18:43:59,822 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:45333\n'
                      '1: 2026-12-06 18:43:59,936 - distributed.nanny.memory - WARNING - Worker '
                      'tls://10.213.103.11:45057 (pid=9853) exceeded 95% memory budget. Restarting...\n'
                      '0: 2026-12-06 18:43:59,946 - distributed.core - INFO - Connection to '
                      'tls://10.213.103.11:47558 has been closed.\n'
                      '1: 2026-12-06 18:43:59,946 - distributed.nanny - INFO - Worker process 9853 was '
                      'killed by signal 15\n'
                      '0: 2026-12-06 18:43:59,946 - distributed.scheduler - INFO - Remove worker addr: '
                      'tls://10.213.103.11:45057 name: dask_mpi-1 '
                      "(stimulus_id='handle-worker-cleanup-1796582639.9463835')\n"
                      '0: 2026-12-06 18:43:59,946 - distributed.scheduler - ERROR - Task '
                      'block_stats-83bc712a6af8d516b5050037b4eb1ce2 marked as failed because 4 workers died '
                      'while trying to run it\n'
                      '0: 2026-12-06 18:43:59,946 - distributed.scheduler - ERROR - Task '
                      'block_stats-85e4aea4eb289f19a747758cc8a44698 marked as failed because 4 workers died '
                      'while trying to run it\n'
                      '0: 2026-12-06 18:43:59,947 - distributed.scheduler - INFO - Lost all workers\n'
                      '1: 2026-12-06 18:43:59,949 - distributed.nanny - INFO - Unregistering worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 18:43:59,950 - distributed.nanny - WARNING - Restarting worker '
                      '(status=Status.running)\n'
                      '0: 2026-12-06 18:44:00,051 - distributed.scheduler - INFO - Closing scheduler. '
                      'Reason: unknown\n'
                      '0: 2026-12-06 18:44:00,052 - distributed.scheduler - INFO - Scheduler closing all '
                      'comms\n'
                      'Traceback (most recent call last):\n'
                      '  File "/work/main/jobscripts/programs/breakfix_killed.py", line 78, in <module>\n'
                      '    main()\n'
                      '  File "/work/main/jobscripts/programs/breakfix_killed.py", line 68, in main\n'
                      '    count, total, squares = np.sum(c.gather(futures), axis=0)  # KilledWorker is '
                      'raised here\n'
                      '                                   ^^^^^^^^^^^^^^^^^\n'
                      '  File "/work/main/.venv/lib/python3.11/site-packages/distributed/client.py", line '
                      '2538, in gather\n'
                      '    return self.sync(\n'
                      '           ^^^^^^^^^^\n'
                      '  File "/work/main/.venv/lib/python3.11/site-packages/distributed/client.py", line '
                      '2399, in _gather\n'
                      '    raise exception.with_traceback(traceback)\n'
                      'distributed.scheduler.KilledWorker: Attempted to run task '
                      "'block_stats-85e4aea4eb289f19a747758cc8a44698' on 4 different workers, but all those "
                      'workers died while running it. The last worker that attempt to run the task was '
                      'tls://10.213.103.11:45057. Inspecting worker logs is often a good next step to '
                      'diagnose what went wrong. For more information see '
                      'https://distributed.dask.org/en/stable/killed.html.\n'
                      'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                      '0: slurmstepd-node1: error: *** STEP 34843021.0 ON node1 FAILED (non-zero exit code '
                      'or other failure mode) ***\n'
                      '1: '
                      '/root/.pyenv/versions/3.11.7/lib/python3.11/multiprocessing/resource_tracker.py:254: '
                      'UserWarning: resource_tracker: There appear to be 6 leaked semaphore objects to clean '
                      'up at shutdown\n'
                      "1:   warnings.warn('resource_tracker: There appear to be %d '\n"
                      'srun: error: node1: tasks 0-1: Terminated\n'
                      'srun: launch/slurm: _step_signal: Terminating StepId=34843021.0\n',
            'sacct': [{'AllocCPUS': '2',
                       'Elapsed': '00:00:05',
                       'ExitCode': '1:0',
                       'JobID': '34843021',
                       'JobName': 'breakfix-killed',
                       'MaxRSS': '',
                       'ReqMem': '1200M',
                       'State': 'FAILED',
                       'Timelimit': '00:02:00',
                       'TotalCPU': '00:05.915'},
                      {'AllocCPUS': '2',
                       'Elapsed': '00:00:05',
                       'ExitCode': '1:0',
                       'JobID': '34843021.batch',
                       'JobName': 'batch',
                       'MaxRSS': '76824K',
                       'ReqMem': '',
                       'State': 'FAILED',
                       'Timelimit': '',
                       'TotalCPU': '00:01.200'},
                      {'AllocCPUS': '2',
                       'Elapsed': '00:00:04',
                       'ExitCode': '0:15',
                       'JobID': '34843021.0',
                       'JobName': 'python',
                       'MaxRSS': '336604K',
                       'ReqMem': '',
                       'State': 'CANCELLED',
                       'Timelimit': '',
                       'TotalCPU': '00:04.714'}],
            'state': 'FAILED'},
 'no_pmi': {'exit_code': '0:0',
            'job_id': '34843004',
            'output': 'hello from rank 0 of 1 on node1 (CPUs 1)\n'
                      'ring ok: sum of received ranks = 0 (expected 0)\n'
                      'hosts: node1\n'
                      'hello from rank 0 of 1 on node2 (CPUs 0)\n'
                      'ring ok: sum of received ranks = 0 (expected 0)\n'
                      'hosts: node2\n',
            'sacct': [{'AllocCPUS': '2',
                       'Elapsed': '00:00:00',
                       'ExitCode': '0:0',
                       'JobID': '34843004',
                       'JobName': 'mpi-hello',
                       'MaxRSS': '',
                       'ReqMem': '1000M',
                       'State': 'COMPLETED',
                       'Timelimit': '00:05:00',
                       'TotalCPU': '00:00.208'},
                      {'AllocCPUS': '1',
                       'Elapsed': '00:00:00',
                       'ExitCode': '0:0',
                       'JobID': '34843004.batch',
                       'JobName': 'batch',
                       'MaxRSS': '',
                       'ReqMem': '',
                       'State': 'COMPLETED',
                       'Timelimit': '',
                       'TotalCPU': '00:00.014'},
                      {'AllocCPUS': '2',
                       'Elapsed': '00:00:00',
                       'ExitCode': '0:0',
                       'JobID': '34843004.0',
                       'JobName': 'python',
                       'MaxRSS': '',
                       'ReqMem': '',
                       'State': 'COMPLETED',
                       'Timelimit': '',
                       'TotalCPU': '00:00.193'}],
            'state': 'COMPLETED'},
 'oom': {'exit_code': '9:0',
         'job_id': '34843001',
         'output': 'will go through 12 blocks of 50 MB, holding up to 600 MB\n'
                   'block 1/12: holding 50 MB\n'
                   'block 2/12: holding 100 MB\n'
                   'block 3/12: holding 150 MB\n'
                   'block 4/12: holding 200 MB\n'
                   'block 5/12: holding 250 MB\n'
                   'block 6/12: holding 300 MB\n'
                   'slurmstepd-node1: error: StepId=34843001.0 exceeded memory limit (341647360 > '
                   '314572800), being killed\n'
                   'slurmstepd-node1: error: Exceeded job memory limit\n'
                   'slurmstepd-node1: error: *** STEP 34843001.0 ON node1 CANCELLED AT 2026-12-06T18:41:46 '
                   '***\n'
                   'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                   'slurmstepd-node1: error: StepId=34843001.0 exceeded memory limit (341647360 > '
                   '314572800), being killed\n'
                   'slurmstepd-node1: error: Exceeded job memory limit\n'
                   'srun: error: node1: task 0: Killed\n',
         'sacct': [{'AllocCPUS': '1',
                    'Elapsed': '00:00:03',
                    'ExitCode': '9:0',
                    'JobID': '34843001',
                    'JobName': 'breakfix-oom',
                    'MaxRSS': '',
                    'ReqMem': '300M',
                    'State': 'FAILED',
                    'Timelimit': '00:02:00',
                    'TotalCPU': '00:00.810'},
                   {'AllocCPUS': '1',
                    'Elapsed': '00:00:03',
                    'ExitCode': '9:0',
                    'JobID': '34843001.batch',
                    'JobName': 'batch',
                    'MaxRSS': '12564K',
                    'ReqMem': '',
                    'State': 'FAILED',
                    'Timelimit': '',
                    'TotalCPU': '00:00.014'},
                   {'AllocCPUS': '1',
                    'Elapsed': '00:00:03',
                    'ExitCode': '0:9',
                    'JobID': '34843001.0',
                    'JobName': 'python',
                    'MaxRSS': '333640K',
                    'ReqMem': '',
                    'State': 'CANCELLED by 0',
                    'Timelimit': '',
                    'TotalCPU': '00:00.795'}],
         'state': 'FAILED'},
 'pending': {'blocker': '34843005',
             'drained': ['node1'],
             'enforce_part_limits': 'NO',
             'free_cpus': 1,
             'free_node': 'node2',
             'job_id': '34843006,34843007,34843008,34843009,34843010',
             'jobs': {'34843006': {'options': ['--partition=short', '--time=00:10:00'],
                                   'reason': 'PartitionTimeLimit'},
                      '34843007': {'options': ['--nodelist=node1'],
                                   'reason': 'ReqNodeNotAvail, UnavailableNodes:node1'},
                      '34843008': {'options': ['--dependency=afterok:34843001'],
                                   'reason': 'DependencyNeverSatisfied'},
                      '34843009': {'options': ['--ntasks=5'], 'reason': 'PartitionConfig'},
                      '34843010': {'options': ['--ntasks=2'], 'reason': 'Resources'}},
             'nodes': 'NODELIST CPUS(A/I/O/T) STATE\nnode1 1/0/1/2 drng\nnode2 1/1/0/2 mix\n',
             'partition': 'PartitionName=debug\n'
                          '   AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL\n'
                          '   AllocNodes=ALL Default=YES QoS=N/A\n'
                          '   DefaultTime=NONE DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO\n'
                          '   MaxNodes=UNLIMITED MaxTime=UNLIMITED MinNodes=0 LLN=NO '
                          'MaxCPUsPerNode=UNLIMITED\n'
                          '   Nodes=node[1-2]\n'
                          '   PriorityJobFactor=1 PriorityTier=1 RootOnly=NO ReqResv=NO OverSubscribe=NO\n'
                          '   OverTimeLimit=NONE PreemptMode=OFF\n'
                          '   State=UP TotalCPUs=4 TotalNodes=2 SelectTypeParameters=NONE\n'
                          '   JobDefaults=(null)\n'
                          '   DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED\n'
                          '   TRES=cpu=4,mem=19284M,node=2,billing=4\n'
                          '\n',
             'partition_cpus': 4,
             'short_max_s': 300,
             'short_partition': 'short',
             'sinfo': 'REASON               USER      TIMESTAMP           NODELIST\n'
                      'maintenance          root      2026-12-06T18:42:20 node1\n',
             'squeue': 'JOBID|STATE|REASON\n'
                       '34843007|PENDING|ReqNodeNotAvail, UnavailableNodes:node1\n'
                       '34843008|PENDING|DependencyNeverSatisfied\n'
                       '34843009|PENDING|PartitionConfig\n'
                       '34843010|PENDING|Resources\n'
                       '34843006|PENDING|PartitionTimeLimit\n'},
 'recorded': "2026-12-06 18:41 UTC on the course's virtual cluster",
 'threads': {'exit_code': '0:0',
             'job_id': '34843023',
             'output': 'task: SLURM_CPUS_PER_TASK=2, os.sched_getaffinity(0): 2 CPUs, os.cpu_count(): 2, '
                       "dask's CPU_COUNT: 2\n"
                       'worker 1: may use 2 CPUs; Dask threads 8, BLAS threads 2 (OMP_NUM_THREADS=8 '
                       'OPENBLAS_NUM_THREADS=8)\n'
                       'worker 2: may use 2 CPUs; Dask threads 8, BLAS threads 2 (OMP_NUM_THREADS=8 '
                       'OPENBLAS_NUM_THREADS=8)\n'
                       'worker 3: may use 2 CPUs; Dask threads 8, BLAS threads 2 (OMP_NUM_THREADS=8 '
                       'OPENBLAS_NUM_THREADS=8)\n'
                       'worker 4: may use 2 CPUs; Dask threads 8, BLAS threads 2 (OMP_NUM_THREADS=8 '
                       'OPENBLAS_NUM_THREADS=8)\n'
                       'threads that compute: 4 workers x 8 threads x 2 BLAS threads = 64 on 2 CPUs\n'
                       'threads in each worker process after the work (/proc/PID/task): [12, 12, 12, 12]\n'
                       'work: 48 tasks of 20 products of 300x300 in 5.40 s (cluster up in 1.1 s); checksum '
                       '1.4390e+04\n',
             'sacct': [{'AllocCPUS': '2',
                        'Elapsed': '00:00:07',
                        'ExitCode': '0:0',
                        'JobID': '34843023',
                        'JobName': 'breakfix-threads',
                        'MaxRSS': '',
                        'ReqMem': '2G',
                        'State': 'COMPLETED',
                        'Timelimit': '00:02:00',
                        'TotalCPU': '00:13.552'},
                       {'AllocCPUS': '2',
                        'Elapsed': '00:00:07',
                        'ExitCode': '0:0',
                        'JobID': '34843023.batch',
                        'JobName': 'batch',
                        'MaxRSS': '12420K',
                        'ReqMem': '',
                        'State': 'COMPLETED',
                        'Timelimit': '',
                        'TotalCPU': '00:00.014'},
                       {'AllocCPUS': '2',
                        'Elapsed': '00:00:07',
                        'ExitCode': '0:0',
                        'JobID': '34843023.0',
                        'JobName': 'python',
                        'MaxRSS': '409968K',
                        'ReqMem': '',
                        'State': 'COMPLETED',
                        'Timelimit': '',
                        'TotalCPU': '00:13.537'}],
             'state': 'COMPLETED'},
 'threads_fixed': {'exit_code': '0:0',
                   'job_id': '34843024',
                   'output': 'task: SLURM_CPUS_PER_TASK=2, os.sched_getaffinity(0): 2 CPUs, os.cpu_count(): '
                             "2, dask's CPU_COUNT: 2\n"
                             'worker 1: may use 2 CPUs; Dask threads 2, BLAS threads 1 (OMP_NUM_THREADS=1 '
                             'OPENBLAS_NUM_THREADS=1)\n'
                             'threads that compute: 1 workers x 2 threads x 1 BLAS threads = 2 on 2 CPUs\n'
                             'threads in each worker process after the work (/proc/PID/task): [5]\n'
                             'work: 48 tasks of 20 products of 300x300 in 1.24 s (cluster up in 0.6 s); '
                             'checksum 1.4390e+04\n',
                   'ran': True,
                   'sacct': [{'AllocCPUS': '2',
                              'Elapsed': '00:00:02',
                              'ExitCode': '0:0',
                              'JobID': '34843024',
                              'JobName': 'breakfix-threads',
                              'MaxRSS': '',
                              'ReqMem': '2G',
                              'State': 'COMPLETED',
                              'Timelimit': '00:02:00',
                              'TotalCPU': '00:03.303'},
                             {'AllocCPUS': '2',
                              'Elapsed': '00:00:02',
                              'ExitCode': '0:0',
                              'JobID': '34843024.batch',
                              'JobName': 'batch',
                              'MaxRSS': '12644K',
                              'ReqMem': '',
                              'State': 'COMPLETED',
                              'Timelimit': '',
                              'TotalCPU': '00:00.016'},
                             {'AllocCPUS': '2',
                              'Elapsed': '00:00:02',
                              'ExitCode': '0:0',
                              'JobID': '34843024.0',
                              'JobName': 'python',
                              'MaxRSS': '160260K',
                              'ReqMem': '',
                              'State': 'COMPLETED',
                              'Timelimit': '',
                              'TotalCPU': '00:03.287'}],
                   'script': '#!/bin/bash\n'
                             '# Lesson 13, case 7: a node made slow by too many threads. The job gets 2 '
                             'CPUs; the counts\n'
                             '# below were copied from a script for a 32-core node: 4 Dask workers of 8 '
                             'threads, and\n'
                             "# every BLAS call on 8 threads. Read sacct's AllocCPUS and TotalCPU and the "
                             'threads the\n'
                             '# program started, then set every count from the allocation '
                             '($SLURM_CPUS_PER_TASK).\n'
                             '# Submit from the course root:  sbatch jobscripts/breakfix-threads.sh\n'
                             '#SBATCH --job-name=breakfix-threads   # name shown by squeue and sacct; %x in '
                             '--output\n'
                             '#SBATCH --ntasks=1                    # one process: it starts the Dask '
                             'workers itself\n'
                             '#SBATCH --cpus-per-task=2             # the CPUs of the job: its task is bound '
                             'to them\n'
                             '#SBATCH --mem=2G                      # memory for the whole job (every worker '
                             'in it)\n'
                             '#SBATCH --time=00:02:00               # wall-clock limit; the work takes '
                             'seconds\n'
                             '#SBATCH --output=%x-%j.out            # %x = job name, %j = job id\n'
                             'set -euo pipefail\n'
                             '# shellcheck source=jobscripts/common.sh\n'
                             'source "${SLURM_SUBMIT_DIR:-.}/jobscripts/common.sh"\n'
                             '\n'
                             '# BLAS threads of every worker: OpenBLAS reads OPENBLAS_NUM_THREADS (then '
                             'OMP_NUM_THREADS),\n'
                             '# MKL and OpenMP code read OMP_NUM_THREADS. A Dask Nanny sets both to 1 unless '
                             'they are set.\n'
                             'export OMP_NUM_THREADS=1\n'
                             'export OPENBLAS_NUM_THREADS=1\n'
                             "# --cpus-per-task: Slurm 22.05 to 23.02 do not pass the job's value on to a "
                             'step.\n'
                             'srun --cpus-per-task="$SLURM_CPUS_PER_TASK" python '
                             'jobscripts/programs/breakfix_threads.py \\\n'
                             '     --workers 1 --threads-per-worker "$SLURM_CPUS_PER_TASK"\n',
                   'state': 'COMPLETED'},
 'timeout': {'checkpoint': '/work/main/results/13-break-it-fix-it/20261206-184140/steps-checkpoint.json',
             'exit_code': '0:0',
             'job_id': '34843000',
             'output': 'starting at step 0 of 240, 0.5 s a step\n'
                       'step 1/240 done after 0.5 s\n'
                       'step 2/240 done after 1.0 s\n'
                       'step 3/240 done after 1.5 s\n'
                       'step 4/240 done after 2.0 s\n'
                       'step 5/240 done after 2.5 s\n'
                       'step 6/240 done after 3.0 s\n'
                       'step 7/240 done after 3.5 s\n'
                       'step 8/240 done after 4.0 s\n'
                       'step 9/240 done after 4.5 s\n'
                       'step 10/240 done after 5.0 s\n'
                       'step 11/240 done after 5.5 s\n'
                       'step 12/240 done after 6.0 s\n'
                       'step 13/240 done after 6.5 s\n'
                       'step 14/240 done after 7.0 s\n'
                       'step 15/240 done after 7.5 s\n'
                       'step 16/240 done after 8.0 s\n'
                       'step 17/240 done after 8.5 s\n'
                       'step 18/240 done after 9.0 s\n'
                       'step 19/240 done after 9.5 s\n'
                       'step 20/240 done after 10.0 s\n'
                       'step 21/240 done after 10.5 s\n'
                       'step 22/240 done after 11.0 s\n'
                       'step 23/240 done after 11.5 s\n'
                       'step 24/240 done after 12.0 s\n'
                       'step 25/240 done after 12.5 s\n'
                       'step 26/240 done after 13.0 s\n'
                       'step 27/240 done after 13.5 s\n'
                       'step 28/240 done after 14.0 s\n'
                       'step 29/240 done after 14.5 s\n'
                       'step 30/240 done after 15.0 s\n'
                       'step 31/240 done after 15.5 s\n'
                       'step 32/240 done after 16.0 s\n'
                       'step 33/240 done after 16.5 s\n'
                       'step 34/240 done after 17.0 s\n'
                       'step 35/240 done after 17.5 s\n'
                       'step 36/240 done after 18.0 s\n'
                       'step 37/240 done after 18.5 s\n'
                       'step 38/240 done after 19.0 s\n'
                       'step 39/240 done after 19.5 s\n'
                       'step 40/240 done after 20.0 s\n'
                       'step 41/240 done after 20.5 s\n'
                       'step 42/240 done after 21.0 s\n'
                       'step 43/240 done after 21.5 s\n'
                       'step 44/240 done after 22.0 s\n'
                       'step 45/240 done after 22.5 s\n'
                       'step 46/240 done after 23.0 s\n'
                       'step 47/240 done after 23.5 s\n'
                       'step 48/240 done after 24.1 s\n'
                       'step 49/240 done after 24.6 s\n'
                       'step 50/240 done after 25.1 s\n'
                       'step 51/240 done after 25.6 s\n'
                       'step 52/240 done after 26.1 s\n'
                       'step 53/240 done after 26.6 s\n'
                       'step 54/240 done after 27.1 s\n'
                       'step 55/240 done after 27.6 s\n'
                       'step 56/240 done after 28.1 s\n'
                       'step 57/240 done after 28.6 s\n'
                       'step 58/240 done after 29.1 s\n'
                       'step 59/240 done after 29.6 s\n'
                       'step 60/240 done after 30.1 s\n'
                       'step 61/240 done after 30.6 s\n'
                       'step 62/240 done after 31.1 s\n'
                       'step 63/240 done after 31.6 s\n'
                       'step 64/240 done after 32.1 s\n'
                       'step 65/240 done after 32.6 s\n'
                       'step 66/240 done after 33.1 s\n'
                       'step 67/240 done after 33.6 s\n'
                       'step 68/240 done after 34.1 s\n'
                       'step 69/240 done after 34.6 s\n'
                       'step 70/240 done after 35.1 s\n'
                       'step 71/240 done after 35.6 s\n'
                       'step 72/240 done after 36.1 s\n'
                       'step 73/240 done after 36.6 s\n'
                       'step 74/240 done after 37.1 s\n'
                       'step 75/240 done after 37.6 s\n'
                       'step 76/240 done after 38.1 s\n'
                       'step 77/240 done after 38.6 s\n'
                       'step 78/240 done after 39.1 s\n'
                       'step 79/240 done after 39.6 s\n'
                       'step 80/240 done after 40.1 s\n'
                       'step 81/240 done after 40.6 s\n'
                       'step 82/240 done after 41.1 s\n'
                       'step 83/240 done after 41.6 s\n'
                       'step 84/240 done after 42.1 s\n'
                       'step 85/240 done after 42.6 s\n'
                       'step 86/240 done after 43.1 s\n'
                       'step 87/240 done after 43.6 s\n'
                       'step 88/240 done after 44.1 s\n'
                       'step 89/240 done after 44.6 s\n'
                       'step 90/240 done after 45.1 s\n'
                       'step 91/240 done after 45.6 s\n'
                       'step 92/240 done after 46.1 s\n'
                       'step 93/240 done after 46.6 s\n'
                       'step 94/240 done after 47.1 s\n'
                       'step 95/240 done after 47.6 s\n'
                       'step 96/240 done after 48.1 s\n'
                       'step 97/240 done after 48.6 s\n'
                       'step 98/240 done after 49.1 s\n'
                       'step 99/240 done after 49.6 s\n'
                       'step 100/240 done after 50.1 s\n'
                       'step 101/240 done after 50.6 s\n'
                       'step 102/240 done after 51.1 s\n'
                       'step 103/240 done after 51.6 s\n'
                       'step 104/240 done after 52.1 s\n'
                       'step 105/240 done after 52.6 s\n'
                       'step 106/240 done after 53.1 s\n'
                       'step 107/240 done after 53.6 s\n'
                       'step 108/240 done after 54.1 s\n'
                       'step 109/240 done after 54.6 s\n'
                       'step 110/240 done after 55.1 s\n'
                       'step 111/240 done after 55.6 s\n'
                       'step 112/240 done after 56.1 s\n'
                       'step 113/240 done after 56.6 s\n'
                       'step 114/240 done after 57.1 s\n'
                       'step 115/240 done after 57.6 s\n'
                       'step 116/240 done after 58.1 s\n'
                       'step 117/240 done after 58.6 s\n'
                       'step 118/240 done after 59.1 s\n'
                       'step 119/240 done after 59.6 s\n'
                       'step 120/240 done after 60.1 s\n'
                       'step 121/240 done after 60.6 s\n'
                       'step 122/240 done after 61.1 s\n'
                       'step 123/240 done after 61.6 s\n'
                       'step 124/240 done after 62.1 s\n'
                       'step 125/240 done after 62.6 s\n'
                       'step 126/240 done after 63.1 s\n'
                       'step 127/240 done after 63.6 s\n'
                       'step 128/240 done after 64.1 s\n'
                       'step 129/240 done after 64.6 s\n'
                       'step 130/240 done after 65.1 s\n'
                       'step 131/240 done after 65.6 s\n'
                       'step 132/240 done after 66.1 s\n'
                       'step 133/240 done after 66.6 s\n'
                       'step 134/240 done after 67.1 s\n'
                       'step 135/240 done after 67.7 s\n'
                       'step 136/240 done after 68.2 s\n'
                       'step 137/240 done after 68.7 s\n'
                       'step 138/240 done after 69.2 s\n'
                       'step 139/240 done after 69.7 s\n'
                       'step 140/240 done after 70.2 s\n'
                       'step 141/240 done after 70.7 s\n'
                       'step 142/240 done after 71.2 s\n'
                       'step 143/240 done after 71.7 s\n'
                       'step 144/240 done after 72.2 s\n'
                       'step 145/240 done after 72.7 s\n'
                       'step 146/240 done after 73.2 s\n'
                       'step 147/240 done after 73.7 s\n'
                       'step 148/240 done after 74.2 s\n'
                       'step 149/240 done after 74.7 s\n'
                       'step 150/240 done after 75.2 s\n'
                       'step 151/240 done after 75.7 s\n'
                       'step 152/240 done after 76.2 s\n'
                       'step 153/240 done after 76.7 s\n'
                       'step 154/240 done after 77.2 s\n'
                       'step 155/240 done after 77.7 s\n'
                       'step 156/240 done after 78.2 s\n'
                       'step 157/240 done after 78.7 s\n'
                       'step 158/240 done after 79.2 s\n'
                       'step 159/240 done after 79.7 s\n'
                       'step 160/240 done after 80.2 s\n'
                       'step 161/240 done after 80.7 s\n'
                       'step 162/240 done after 81.2 s\n'
                       'step 163/240 done after 81.7 s\n'
                       'step 164/240 done after 82.2 s\n'
                       'step 165/240 done after 82.7 s\n'
                       'step 166/240 done after 83.2 s\n'
                       'step 167/240 done after 83.7 s\n'
                       'step 168/240 done after 84.2 s\n'
                       'step 169/240 done after 84.7 s\n'
                       'step 170/240 done after 85.2 s\n'
                       'step 171/240 done after 85.7 s\n'
                       'step 172/240 done after 86.2 s\n'
                       'step 173/240 done after 86.7 s\n'
                       'slurmstepd-node1: error: *** JOB 34843000 ON node1 CANCELLED AT 2026-12-06T18:43:10 '
                       'DUE TO TIME LIMIT ***\n'
                       'slurmstepd-node1: error: *** STEP 34843000.0 ON node1 CANCELLED AT '
                       '2026-12-06T18:43:10 DUE TO TIME LIMIT ***\n'
                       'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                       'srun: got SIGCONT\n'
                       'srun: forcing job termination\n'
                       'srun: error: node1: task 0: Terminated\n',
             'sacct': [{'AllocCPUS': '1',
                        'Elapsed': '00:01:27',
                        'ExitCode': '0:0',
                        'JobID': '34843000',
                        'JobName': 'breakfix-timeout',
                        'MaxRSS': '',
                        'ReqMem': '200M',
                        'State': 'TIMEOUT',
                        'Timelimit': '00:01:00',
                        'TotalCPU': '00:00.131'},
                       {'AllocCPUS': '1',
                        'Elapsed': '00:01:27',
                        'ExitCode': '0:15',
                        'JobID': '34843000.batch',
                        'JobName': 'batch',
                        'MaxRSS': '12720K',
                        'ReqMem': '',
                        'State': 'CANCELLED',
                        'Timelimit': '',
                        'TotalCPU': '00:00.004'},
                       {'AllocCPUS': '1',
                        'Elapsed': '00:01:27',
                        'ExitCode': '0:15',
                        'JobID': '34843000.0',
                        'JobName': 'python',
                        'MaxRSS': '12088K',
                        'ReqMem': '',
                        'State': 'CANCELLED',
                        'Timelimit': '',
                        'TotalCPU': '00:00.126'}],
             'state': 'TIMEOUT'}}
