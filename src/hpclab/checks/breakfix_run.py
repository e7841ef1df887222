"""The run of lesson 13's cases recorded on the course's virtual cluster (written by a script; do not edit).

``hpclab.checks.breakfix`` grades against it where there is no Slurm (a laptop, ``hpclab grade``'s
sandbox); the lesson replays it there. Remade from a live run of the lesson with
``python jobscripts/programs/breakfix_record.py results/13-break-it-fix-it/<time>/run.json``.
"""

from typing import Any

# fmt: off
RECORDED: dict[str, Any] = {'dask': {'exit_code': '124:0',
          'interfaces': {'eth0': '10.213.103.12', 'lo': '127.0.0.1'},
          'job_id': '52462016',
          'options': ['--export=ALL,HPCLAB_IFACE=lo,BREAKFIX_TIMEOUT=20'],
          'output': 'interface: lo\n'
                    'scheduler file: /work/main/results/breakfix-dask-52462016.json\n'
                    '0: 2026-12-06 17:29:41,774 - distributed.scheduler - INFO - State start\n'
                    '0: 2026-12-06 17:29:41,778 - distributed.scheduler - INFO -   Scheduler at:     '
                    'tls://127.0.0.1:38305\n'
                    '0: 2026-12-06 17:29:41,779 - distributed.scheduler - INFO -   dashboard at:  '
                    'http://127.0.0.1:43361/status\n'
                    '0: 2026-12-06 17:29:41,779 - distributed.scheduler - INFO - Registering Worker plugin '
                    'shuffle\n'
                    '0: 2026-12-06 17:29:42,083 - distributed.scheduler - INFO - Receive client connection: '
                    'Client-9f05a674-f19a-11f1-ae93-9e57e03d05c5\n'
                    '0: 2026-12-06 17:29:42,088 - distributed.core - INFO - Starting established connection '
                    'to tls://127.0.0.1:36306\n'
                    '0: 2026-12-06 17:30:00,365 - distributed.core - INFO - Connection to '
                    'tls://127.0.0.1:36306 has been closed.\n'
                    '0: 2026-12-06 17:30:00,366 - distributed.scheduler - INFO - Remove client '
                    'Client-9f05a674-f19a-11f1-ae93-9e57e03d05c5\n'
                    '0: 2026-12-06 17:30:00,366 - distributed.scheduler - INFO - Close client connection: '
                    'Client-9f05a674-f19a-11f1-ae93-9e57e03d05c5\n'
                    'node1 sees /work/main/results/breakfix-dask-52462016.json\n'
                    'node2 sees /work/main/results/breakfix-dask-52462016.json\n'
                    '0: slurmstepd-node1: error: *** STEP 52462016.0 ON node1 FAILED (non-zero exit code or '
                    'other failure mode) ***\n'
                    'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                    'srun: error: node2: task 1: Terminated\n'
                    'srun: launch/slurm: _step_signal: Terminating StepId=52462016.0\n'
                    'srun: error: node1: task 0: Terminated\n',
          'sacct': [{'AllocCPUS': '2',
                     'Elapsed': '00:00:21',
                     'ExitCode': '124:0',
                     'JobID': '52462016',
                     'JobName': 'breakfix-dask',
                     'MaxRSS': '',
                     'ReqMem': '1000M',
                     'State': 'FAILED',
                     'Timelimit': '00:02:00',
                     'TotalCPU': '00:03.670'},
                    {'AllocCPUS': '1',
                     'Elapsed': '00:00:21',
                     'ExitCode': '124:0',
                     'JobID': '52462016.batch',
                     'JobName': 'batch',
                     'MaxRSS': '77656K',
                     'ReqMem': '',
                     'State': 'FAILED',
                     'Timelimit': '',
                     'TotalCPU': '00:01.162'},
                    {'AllocCPUS': '2',
                     'Elapsed': '00:00:20',
                     'ExitCode': '0:15',
                     'JobID': '52462016.0',
                     'JobName': 'python',
                     'MaxRSS': '121596K',
                     'ReqMem': '',
                     'State': 'CANCELLED',
                     'Timelimit': '',
                     'TotalCPU': '00:02.494'},
                    {'AllocCPUS': '2',
                     'Elapsed': '00:00:00',
                     'ExitCode': '0:0',
                     'JobID': '52462016.1',
                     'JobName': 'bash',
                     'MaxRSS': '',
                     'ReqMem': '',
                     'State': 'COMPLETED',
                     'Timelimit': '',
                     'TotalCPU': '00:00.012'}],
          'state': 'FAILED'},
 'dask_tmp': {'exit_code': '124:0',
              'interfaces': {'eth0': '10.213.103.12', 'lo': '127.0.0.1'},
              'job_id': '52462018',
              'options': ['--export=ALL,BREAKFIX_SCHEDULER_DIR=/tmp,BREAKFIX_TIMEOUT=10'],
              'output': 'interface: eth0\n'
                        'scheduler file: /tmp/breakfix-dask-52462018.json\n'
                        '0: 2026-12-06 17:30:09,544 - distributed.scheduler - INFO - State start\n'
                        '0: 2026-12-06 17:30:09,549 - distributed.scheduler - INFO -   Scheduler at: '
                        'tls://10.213.103.11:41255\n'
                        '0: 2026-12-06 17:30:09,549 - distributed.scheduler - INFO -   dashboard at:  '
                        'http://10.213.103.11:38725/status\n'
                        '0: 2026-12-06 17:30:09,550 - distributed.scheduler - INFO - Registering Worker '
                        'plugin shuffle\n'
                        '0: 2026-12-06 17:30:09,911 - distributed.scheduler - INFO - Receive client '
                        'connection: Client-af9c33da-f19a-11f1-b134-9e57e03d05c5\n'
                        '0: 2026-12-06 17:30:09,915 - distributed.core - INFO - Starting established '
                        'connection to tls://10.213.103.11:40304\n'
                        '0: 2026-12-06 17:30:18,341 - distributed.core - INFO - Connection to '
                        'tls://10.213.103.11:40304 has been closed.\n'
                        '0: 2026-12-06 17:30:18,341 - distributed.scheduler - INFO - Remove client '
                        'Client-af9c33da-f19a-11f1-b134-9e57e03d05c5\n'
                        '0: 2026-12-06 17:30:18,343 - distributed.scheduler - INFO - Close client '
                        'connection: Client-af9c33da-f19a-11f1-b134-9e57e03d05c5\n'
                        'node2 has no /tmp/breakfix-dask-52462018.json\n'
                        'node1 sees /tmp/breakfix-dask-52462018.json\n'
                        '0: slurmstepd-node1: error: *** STEP 52462018.0 ON node1 FAILED (non-zero exit code '
                        'or other failure mode) ***\n'
                        'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                        'srun: error: node2: task 1: Terminated\n'
                        'srun: launch/slurm: _step_signal: Terminating StepId=52462018.0\n'
                        'srun: error: node1: task 0: Terminated\n',
              'sacct': [{'AllocCPUS': '2',
                         'Elapsed': '00:00:11',
                         'ExitCode': '124:0',
                         'JobID': '52462018',
                         'JobName': 'breakfix-dask',
                         'MaxRSS': '',
                         'ReqMem': '1000M',
                         'State': 'FAILED',
                         'Timelimit': '00:02:00',
                         'TotalCPU': '00:02.877'},
                        {'AllocCPUS': '1',
                         'Elapsed': '00:00:11',
                         'ExitCode': '124:0',
                         'JobID': '52462018.batch',
                         'JobName': 'batch',
                         'MaxRSS': '77472K',
                         'ReqMem': '',
                         'State': 'FAILED',
                         'Timelimit': '',
                         'TotalCPU': '00:00.957'},
                        {'AllocCPUS': '2',
                         'Elapsed': '00:00:10',
                         'ExitCode': '0:15',
                         'JobID': '52462018.0',
                         'JobName': 'python',
                         'MaxRSS': '121372K',
                         'ReqMem': '',
                         'State': 'CANCELLED',
                         'Timelimit': '',
                         'TotalCPU': '00:01.908'},
                        {'AllocCPUS': '2',
                         'Elapsed': '00:00:00',
                         'ExitCode': '0:0',
                         'JobID': '52462018.1',
                         'JobName': 'bash',
                         'MaxRSS': '',
                         'ReqMem': '',
                         'State': 'COMPLETED',
                         'Timelimit': '',
                         'TotalCPU': '00:00.011'}],
              'state': 'FAILED'},
 'hang': {'exit_code': '1:0',
          'job_id': '52462003',
          'output': '0: rank 0 of 2 on node1\n'
                    '1: rank 1 of 2 on node2\n'
                    '0: Current thread 0x00007f64e622bb80 (most recent call first):\n'
                    '1: Current thread 0x00007fb041a80b80 (most recent call first):\n'
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
                    '1: Thread 0x00007fb041a80b80 (most recent call first):\n'
                    '0: Timeout (0:00:20)!\n'
                    '0: Thread 0x00007f64e622bb80 (most recent call first):\n'
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
                    'srun: error: node1: task 0: Exited with exit code 1\n'
                    'srun: launch/slurm: _step_signal: Terminating StepId=52462003.0\n'
                    'srun: error: node2: task 1: Exited with exit code 1\n',
          'sacct': [{'AllocCPUS': '2',
                     'Elapsed': '00:00:20',
                     'ExitCode': '1:0',
                     'JobID': '52462003',
                     'JobName': 'breakfix-hang',
                     'MaxRSS': '',
                     'ReqMem': '600M',
                     'State': 'FAILED',
                     'Timelimit': '00:02:00',
                     'TotalCPU': '00:39.005'},
                    {'AllocCPUS': '1',
                     'Elapsed': '00:00:20',
                     'ExitCode': '1:0',
                     'JobID': '52462003.batch',
                     'JobName': 'batch',
                     'MaxRSS': '12784K',
                     'ReqMem': '',
                     'State': 'FAILED',
                     'Timelimit': '',
                     'TotalCPU': '00:00.020'},
                    {'AllocCPUS': '2',
                     'Elapsed': '00:00:20',
                     'ExitCode': '1:0',
                     'JobID': '52462003.0',
                     'JobName': 'python',
                     'MaxRSS': '55304K',
                     'ReqMem': '',
                     'State': 'FAILED',
                     'Timelimit': '',
                     'TotalCPU': '00:38.985'}],
          'state': 'FAILED'},
 'killed': {'exit_code': '1:0',
            'job_id': '52462021',
            'output': '0: 2026-12-06 17:31:02,727 - distributed.scheduler - INFO - State start\n'
                      '0: 2026-12-06 17:31:02,732 - distributed.scheduler - INFO -   Scheduler at: '
                      'tls://10.213.103.11:44783\n'
                      '0: 2026-12-06 17:31:02,733 - distributed.scheduler - INFO -   dashboard at:  '
                      'http://10.213.103.11:36483/status\n'
                      '0: 2026-12-06 17:31:02,733 - distributed.scheduler - INFO - Registering Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 17:31:02,773 - distributed.nanny - INFO -         Start Nanny at: '
                      "'tls://10.213.103.11:40673'\n"
                      '0: 2026-12-06 17:31:03,033 - distributed.scheduler - INFO - Receive client '
                      'connection: Client-cf4892dd-f19a-11f1-b482-9e57e03d05c5\n'
                      '0: 2026-12-06 17:31:03,037 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:38148\n'
                      '1: 2026-12-06 17:31:03,232 - distributed.worker - INFO -       Start worker at:  '
                      'tls://10.213.103.11:46861\n'
                      '1: 2026-12-06 17:31:03,232 - distributed.worker - INFO -          Listening to:  '
                      'tls://10.213.103.11:46861\n'
                      '1: 2026-12-06 17:31:03,232 - distributed.worker - INFO -           Worker '
                      'name:                 dask_mpi-1\n'
                      '1: 2026-12-06 17:31:03,232 - distributed.worker - INFO -          dashboard '
                      'at:        10.213.103.11:40675\n'
                      '1: 2026-12-06 17:31:03,232 - distributed.worker - INFO - Waiting to connect to:  '
                      'tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:03,232 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 17:31:03,232 - distributed.worker - INFO -               '
                      'Threads:                          1\n'
                      '1: 2026-12-06 17:31:03,233 - distributed.worker - INFO -                '
                      'Memory:                 300.00 MiB\n'
                      '1: 2026-12-06 17:31:03,233 - distributed.worker - INFO -       Local Directory: '
                      '/tmp/dask-scratch-space/worker-sdvyg7_1\n'
                      '1: 2026-12-06 17:31:03,233 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '0: 2026-12-06 17:31:03,247 - distributed.scheduler - INFO - Register worker addr: '
                      'tls://10.213.103.11:46861 name: dask_mpi-1\n'
                      '0: 2026-12-06 17:31:03,248 - distributed.scheduler - INFO - Starting worker compute '
                      'stream, tls://10.213.103.11:46861\n'
                      '0: 2026-12-06 17:31:03,248 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:38166\n'
                      '1: 2026-12-06 17:31:03,248 - distributed.worker - INFO - Starting Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 17:31:03,249 - distributed.worker - INFO -         Registered to:  '
                      'tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:03,249 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 17:31:03,249 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:44783\n'
                      'worker tls://10.213.103.11:46861: 1 thread(s), memory limit 300 MiB, holding 62 MiB '
                      'before any block\n'
                      '2 blocks of 400 MB: each task holds one block while it runs\n'
                      '1: 2026-12-06 17:31:03,751 - distributed.worker.memory - WARNING - Unmanaged memory '
                      'use is high. This may indicate a memory leak or the memory may not be released to the '
                      'OS; see '
                      'https://distributed.dask.org/en/latest/worker-memory.html#memory-not-released-back-to-the-os '
                      'for more information. -- Unmanaged memory: 216.21 MiB -- Worker memory limit: 300.00 '
                      'MiB\n'
                      '1: 2026-12-06 17:31:03,884 - distributed.worker.memory - WARNING - Worker is at 84% '
                      'memory usage. Pausing worker.  Process memory: 252.21 MiB -- Worker memory limit: '
                      '300.00 MiB\n'
                      '1: 2026-12-06 17:31:03,997 - distributed.nanny.memory - WARNING - Worker '
                      'tls://10.213.103.11:46861 (pid=13475) exceeded 95% memory budget. Restarting...\n'
                      '0: 2026-12-06 17:31:04,008 - distributed.core - INFO - Connection to '
                      'tls://10.213.103.11:38166 has been closed.\n'
                      '0: 2026-12-06 17:31:04,008 - distributed.scheduler - INFO - Remove worker addr: '
                      'tls://10.213.103.11:46861 name: dask_mpi-1 '
                      "(stimulus_id='handle-worker-cleanup-1796578264.0088677')\n"
                      '0: 2026-12-06 17:31:04,009 - distributed.scheduler - INFO - Lost all workers\n'
                      '1: 2026-12-06 17:31:04,008 - distributed.nanny - INFO - Worker process 13475 was '
                      'killed by signal 15\n'
                      '1: 2026-12-06 17:31:04,009 - distributed.nanny - INFO - Unregistering worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 17:31:04,010 - distributed.nanny - WARNING - Restarting worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO -       Start worker at:  '
                      'tls://10.213.103.11:34135\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO -          Listening to:  '
                      'tls://10.213.103.11:34135\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO -           Worker '
                      'name:                 dask_mpi-1\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO -          dashboard '
                      'at:        10.213.103.11:43829\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO - Waiting to connect to:  '
                      'tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO -               '
                      'Threads:                          1\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO -                '
                      'Memory:                 300.00 MiB\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO -       Local Directory: '
                      '/tmp/dask-scratch-space/worker-4dx7zj5k\n'
                      '1: 2026-12-06 17:31:04,367 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '0: 2026-12-06 17:31:04,381 - distributed.scheduler - INFO - Register worker addr: '
                      'tls://10.213.103.11:34135 name: dask_mpi-1\n'
                      '0: 2026-12-06 17:31:04,381 - distributed.scheduler - INFO - Starting worker compute '
                      'stream, tls://10.213.103.11:34135\n'
                      '0: 2026-12-06 17:31:04,381 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:38184\n'
                      '1: 2026-12-06 17:31:04,382 - distributed.worker - INFO - Starting Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 17:31:04,382 - distributed.worker - INFO -         Registered to:  '
                      'tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:04,382 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 17:31:04,382 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:04,497 - distributed.nanny.memory - WARNING - Worker '
                      'tls://10.213.103.11:34135 (pid=13498) exceeded 95% memory budget. Restarting...\n'
                      '0: 2026-12-06 17:31:04,504 - distributed.core - INFO - Connection to '
                      'tls://10.213.103.11:38184 has been closed.\n'
                      '0: 2026-12-06 17:31:04,504 - distributed.scheduler - INFO - Remove worker addr: '
                      'tls://10.213.103.11:34135 name: dask_mpi-1 '
                      "(stimulus_id='handle-worker-cleanup-1796578264.504464')\n"
                      '0: 2026-12-06 17:31:04,504 - distributed.scheduler - INFO - Lost all workers\n'
                      '1: 2026-12-06 17:31:04,504 - distributed.nanny - INFO - Worker process 13498 was '
                      'killed by signal 15\n'
                      '1: 2026-12-06 17:31:04,505 - distributed.nanny - INFO - Unregistering worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 17:31:04,506 - distributed.nanny - WARNING - Restarting worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO -       Start worker at:  '
                      'tls://10.213.103.11:45219\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO -          Listening to:  '
                      'tls://10.213.103.11:45219\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO -           Worker '
                      'name:                 dask_mpi-1\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO -          dashboard '
                      'at:        10.213.103.11:33809\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO - Waiting to connect to:  '
                      'tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO -               '
                      'Threads:                          1\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO -                '
                      'Memory:                 300.00 MiB\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO -       Local Directory: '
                      '/tmp/dask-scratch-space/worker-dlohqzkb\n'
                      '1: 2026-12-06 17:31:04,863 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '0: 2026-12-06 17:31:04,878 - distributed.scheduler - INFO - Register worker addr: '
                      'tls://10.213.103.11:45219 name: dask_mpi-1\n'
                      '0: 2026-12-06 17:31:04,878 - distributed.scheduler - INFO - Starting worker compute '
                      'stream, tls://10.213.103.11:45219\n'
                      '0: 2026-12-06 17:31:04,878 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:38200\n'
                      '1: 2026-12-06 17:31:04,878 - distributed.worker - INFO - Starting Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 17:31:04,879 - distributed.worker - INFO -         Registered to:  '
                      'tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:04,879 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 17:31:04,879 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:05,004 - distributed.worker.memory - WARNING - Worker is at 94% '
                      'memory usage. Pausing worker.  Process memory: 282.24 MiB -- Worker memory limit: '
                      '300.00 MiB\n'
                      '1: 2026-12-06 17:31:05,004 - distributed.worker.memory - WARNING - Unmanaged memory '
                      'use is high. This may indicate a memory leak or the memory may not be released to the '
                      'OS; see '
                      'https://distributed.dask.org/en/latest/worker-memory.html#memory-not-released-back-to-the-os '
                      'for more information. -- Unmanaged memory: 282.24 MiB -- Worker memory limit: 300.00 '
                      'MiB\n'
                      '1: 2026-12-06 17:31:05,096 - distributed.nanny.memory - WARNING - Worker '
                      'tls://10.213.103.11:45219 (pid=13511) exceeded 95% memory budget. Restarting...\n'
                      '0: 2026-12-06 17:31:05,103 - distributed.core - INFO - Connection to '
                      'tls://10.213.103.11:38200 has been closed.\n'
                      '0: 2026-12-06 17:31:05,104 - distributed.scheduler - INFO - Remove worker addr: '
                      'tls://10.213.103.11:45219 name: dask_mpi-1 '
                      "(stimulus_id='handle-worker-cleanup-1796578265.1040874')\n"
                      '0: 2026-12-06 17:31:05,104 - distributed.scheduler - INFO - Lost all workers\n'
                      '1: 2026-12-06 17:31:05,103 - distributed.nanny - INFO - Worker process 13511 was '
                      'killed by signal 15\n'
                      '1: 2026-12-06 17:31:05,104 - distributed.nanny - INFO - Unregistering worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 17:31:05,105 - distributed.nanny - WARNING - Restarting worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO -       Start worker at:  '
                      'tls://10.213.103.11:34095\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO -          Listening to:  '
                      'tls://10.213.103.11:34095\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO -           Worker '
                      'name:                 dask_mpi-1\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO -          dashboard '
                      'at:        10.213.103.11:36453\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO - Waiting to connect to:  '
                      'tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO -               '
                      'Threads:                          1\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO -                '
                      'Memory:                 300.00 MiB\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO -       Local Directory: '
                      '/tmp/dask-scratch-space/worker-y5actssg\n'
                      '1: 2026-12-06 17:31:05,458 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '0: 2026-12-06 17:31:05,472 - distributed.scheduler - INFO - Register worker addr: '
                      'tls://10.213.103.11:34095 name: dask_mpi-1\n'
                      '0: 2026-12-06 17:31:05,472 - distributed.scheduler - INFO - Starting worker compute '
                      'stream, tls://10.213.103.11:34095\n'
                      '0: 2026-12-06 17:31:05,472 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:38206\n'
                      '1: 2026-12-06 17:31:05,473 - distributed.worker - INFO - Starting Worker plugin '
                      'shuffle\n'
                      '1: 2026-12-06 17:31:05,473 - distributed.worker - INFO -         Registered to:  '
                      'tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:05,473 - distributed.worker - INFO - '
                      '-------------------------------------------------\n'
                      '1: 2026-12-06 17:31:05,473 - distributed.core - INFO - Starting established '
                      'connection to tls://10.213.103.11:44783\n'
                      '1: 2026-12-06 17:31:05,596 - distributed.nanny.memory - WARNING - Worker '
                      'tls://10.213.103.11:34095 (pid=13524) exceeded 95% memory budget. Restarting...\n'
                      '0: 2026-12-06 17:31:05,606 - distributed.core - INFO - Connection to '
                      'tls://10.213.103.11:38206 has been closed.\n'
                      '0: 2026-12-06 17:31:05,606 - distributed.scheduler - INFO - Remove worker addr: '
                      'tls://10.213.103.11:34095 name: dask_mpi-1 '
                      "(stimulus_id='handle-worker-cleanup-1796578265.6065822')\n"
                      '0: 2026-12-06 17:31:05,607 - distributed.scheduler - ERROR - Task '
                      'block_stats-83bc712a6af8d516b5050037b4eb1ce2 marked as failed because 4 workers died '
                      'while trying to run it\n'
                      '0: 2026-12-06 17:31:05,607 - distributed.scheduler - ERROR - Task '
                      'block_stats-85e4aea4eb289f19a747758cc8a44698 marked as failed because 4 workers died '
                      'while trying to run it\n'
                      '0: 2026-12-06 17:31:05,607 - distributed.scheduler - INFO - Lost all workers\n'
                      '1: 2026-12-06 17:31:05,606 - distributed.nanny - INFO - Worker process 13524 was '
                      'killed by signal 15\n'
                      '1: 2026-12-06 17:31:05,607 - distributed.nanny - INFO - Unregistering worker '
                      '(status=Status.running)\n'
                      '1: 2026-12-06 17:31:05,608 - distributed.nanny - WARNING - Restarting worker '
                      '(status=Status.running)\n'
                      '0: 2026-12-06 17:31:05,711 - distributed.scheduler - INFO - Closing scheduler. '
                      'Reason: unknown\n'
                      '0: 2026-12-06 17:31:05,711 - distributed.scheduler - INFO - Scheduler closing all '
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
                      'tls://10.213.103.11:34095. Inspecting worker logs is often a good next step to '
                      'diagnose what went wrong. For more information see '
                      'https://distributed.dask.org/en/stable/killed.html.\n'
                      'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                      '0: slurmstepd-node1: error: *** STEP 52462021.0 ON node1 FAILED (non-zero exit code '
                      'or other failure mode) ***\n'
                      '1: '
                      '/root/.pyenv/versions/3.11.7/lib/python3.11/multiprocessing/resource_tracker.py:254: '
                      'UserWarning: resource_tracker: There appear to be 6 leaked semaphore objects to clean '
                      'up at shutdown\n'
                      "1:   warnings.warn('resource_tracker: There appear to be %d '\n"
                      'srun: error: node1: tasks 0-1: Terminated\n'
                      'srun: launch/slurm: _step_signal: Terminating StepId=52462021.0\n',
            'sacct': [{'AllocCPUS': '2',
                       'Elapsed': '00:00:05',
                       'ExitCode': '1:0',
                       'JobID': '52462021',
                       'JobName': 'breakfix-killed',
                       'MaxRSS': '',
                       'ReqMem': '1200M',
                       'State': 'FAILED',
                       'Timelimit': '00:02:00',
                       'TotalCPU': '00:06.284'},
                      {'AllocCPUS': '2',
                       'Elapsed': '00:00:05',
                       'ExitCode': '1:0',
                       'JobID': '52462021.batch',
                       'JobName': 'batch',
                       'MaxRSS': '77148K',
                       'ReqMem': '',
                       'State': 'FAILED',
                       'Timelimit': '',
                       'TotalCPU': '00:01.355'},
                      {'AllocCPUS': '2',
                       'Elapsed': '00:00:05',
                       'ExitCode': '0:15',
                       'JobID': '52462021.0',
                       'JobName': 'python',
                       'MaxRSS': '371832K',
                       'ReqMem': '',
                       'State': 'CANCELLED',
                       'Timelimit': '',
                       'TotalCPU': '00:04.928'}],
            'state': 'FAILED'},
 'no_pmi': {'exit_code': '0:0',
            'job_id': '52462004',
            'output': 'hello from rank 0 of 1 on node2 (CPUs 0)\n'
                      'ring ok: sum of received ranks = 0 (expected 0)\n'
                      'hosts: node2\n'
                      'hello from rank 0 of 1 on node1 (CPUs 1)\n'
                      'ring ok: sum of received ranks = 0 (expected 0)\n'
                      'hosts: node1\n',
            'sacct': [{'AllocCPUS': '2',
                       'Elapsed': '00:00:00',
                       'ExitCode': '0:0',
                       'JobID': '52462004',
                       'JobName': 'allocation',
                       'MaxRSS': '',
                       'ReqMem': '16?',
                       'State': 'COMPLETED',
                       'Timelimit': '',
                       'TotalCPU': '00:00.236'},
                      {'AllocCPUS': '1',
                       'Elapsed': '00:00:00',
                       'ExitCode': '0:0',
                       'JobID': '52462004.batch',
                       'JobName': 'batch',
                       'MaxRSS': '',
                       'ReqMem': '',
                       'State': 'COMPLETED',
                       'Timelimit': '',
                       'TotalCPU': '00:00.016'},
                      {'AllocCPUS': '2',
                       'Elapsed': '00:00:00',
                       'ExitCode': '0:0',
                       'JobID': '52462004.0',
                       'JobName': 'python',
                       'MaxRSS': '',
                       'ReqMem': '',
                       'State': 'COMPLETED',
                       'Timelimit': '',
                       'TotalCPU': '00:00.219'}],
            'state': 'COMPLETED'},
 'oom': {'exit_code': '9:0',
         'job_id': '52462001',
         'output': 'will go through 12 blocks of 50 MB, holding up to 600 MB\n'
                   'block 1/12: holding 50 MB\n'
                   'block 2/12: holding 100 MB\n'
                   'block 3/12: holding 150 MB\n'
                   'block 4/12: holding 200 MB\n'
                   'block 5/12: holding 250 MB\n'
                   'block 6/12: holding 300 MB\n'
                   'slurmstepd-node1: error: StepId=52462001.0 exceeded memory limit (341766144 > '
                   '314572800), being killed\n'
                   'slurmstepd-node1: error: Exceeded job memory limit\n'
                   'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                   'slurmstepd-node1: error: *** STEP 52462001.0 ON node1 CANCELLED AT 2026-12-06T17:28:58 '
                   '***\n'
                   'slurmstepd-node1: error: StepId=52462001.0 exceeded memory limit (341766144 > '
                   '314572800), being killed\n'
                   'slurmstepd-node1: error: Exceeded job memory limit\n'
                   'srun: error: node1: task 0: Killed\n',
         'sacct': [{'AllocCPUS': '1',
                    'Elapsed': '00:00:03',
                    'ExitCode': '9:0',
                    'JobID': '52462001',
                    'JobName': 'breakfix-oom',
                    'MaxRSS': '',
                    'ReqMem': '300M',
                    'State': 'FAILED',
                    'Timelimit': '00:02:00',
                    'TotalCPU': '00:00.741'},
                   {'AllocCPUS': '1',
                    'Elapsed': '00:00:03',
                    'ExitCode': '9:0',
                    'JobID': '52462001.batch',
                    'JobName': 'batch',
                    'MaxRSS': '12276K',
                    'ReqMem': '',
                    'State': 'FAILED',
                    'Timelimit': '',
                    'TotalCPU': '00:00.016'},
                   {'AllocCPUS': '1',
                    'Elapsed': '00:00:03',
                    'ExitCode': '0:9',
                    'JobID': '52462001.0',
                    'JobName': 'python',
                    'MaxRSS': '333756K',
                    'ReqMem': '',
                    'State': 'CANCELLED by 0',
                    'Timelimit': '',
                    'TotalCPU': '00:00.724'}],
         'state': 'FAILED'},
 'pending': {'blocker': '52462005',
             'drained': ['node1'],
             'enforce_part_limits': 'NO',
             'free_cpus': 1,
             'free_node': 'node2',
             'job_id': '52462006,52462007,52462008,52462009,52462010',
             'jobs': {'52462006': {'options': ['--partition=short', '--time=00:10:00'],
                                   'reason': 'PartitionTimeLimit'},
                      '52462007': {'options': ['--nodelist=node1'],
                                   'reason': 'ReqNodeNotAvail, UnavailableNodes:node1'},
                      '52462008': {'options': ['--dependency=afterok:52462001'],
                                   'reason': 'DependencyNeverSatisfied'},
                      '52462009': {'options': ['--ntasks=5'], 'reason': 'PartitionConfig'},
                      '52462010': {'options': ['--ntasks=2'], 'reason': 'Resources'}},
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
                      'maintenance          root      2026-12-06T17:29:29 node1\n',
             'squeue': 'JOBID|STATE|REASON\n'
                       '52462007|PENDING|ReqNodeNotAvail, UnavailableNodes:node1\n'
                       '52462008|PENDING|DependencyNeverSatisfied\n'
                       '52462009|PENDING|PartitionConfig\n'
                       '52462010|PENDING|Resources\n'
                       '52462006|PENDING|PartitionTimeLimit\n'},
 'recorded': "2026-12-06 17:28 UTC on the course's virtual cluster",
 'threads': {'exit_code': '0:0',
             'job_id': '52462023',
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
                       'work: 48 tasks of 20 products of 300x300 in 6.30 s (cluster up in 1.1 s); checksum '
                       '1.4390e+04\n',
             'sacct': [{'AllocCPUS': '2',
                        'Elapsed': '00:00:09',
                        'ExitCode': '0:0',
                        'JobID': '52462023',
                        'JobName': 'breakfix-threads',
                        'MaxRSS': '',
                        'ReqMem': '2G',
                        'State': 'COMPLETED',
                        'Timelimit': '00:02:00',
                        'TotalCPU': '00:15.413'},
                       {'AllocCPUS': '2',
                        'Elapsed': '00:00:09',
                        'ExitCode': '0:0',
                        'JobID': '52462023.batch',
                        'JobName': 'batch',
                        'MaxRSS': '12584K',
                        'ReqMem': '',
                        'State': 'COMPLETED',
                        'Timelimit': '',
                        'TotalCPU': '00:00.014'},
                       {'AllocCPUS': '2',
                        'Elapsed': '00:00:09',
                        'ExitCode': '0:0',
                        'JobID': '52462023.0',
                        'JobName': 'python',
                        'MaxRSS': '409024K',
                        'ReqMem': '',
                        'State': 'COMPLETED',
                        'Timelimit': '',
                        'TotalCPU': '00:15.398'}],
             'state': 'COMPLETED'},
 'threads_fixed': {'exit_code': '0:0',
                   'job_id': '52462024',
                   'output': 'task: SLURM_CPUS_PER_TASK=2, os.sched_getaffinity(0): 2 CPUs, os.cpu_count(): '
                             "2, dask's CPU_COUNT: 2\n"
                             'worker 1: may use 2 CPUs; Dask threads 2, BLAS threads 1 (OMP_NUM_THREADS=1 '
                             'OPENBLAS_NUM_THREADS=1)\n'
                             'threads that compute: 1 workers x 2 threads x 1 BLAS threads = 2 on 2 CPUs\n'
                             'threads in each worker process after the work (/proc/PID/task): [5]\n'
                             'work: 48 tasks of 20 products of 300x300 in 1.30 s (cluster up in 0.6 s); '
                             'checksum 1.4390e+04\n',
                   'ran': True,
                   'sacct': [{'AllocCPUS': '2',
                              'Elapsed': '00:00:03',
                              'ExitCode': '0:0',
                              'JobID': '52462024',
                              'JobName': 'allocation',
                              'MaxRSS': '',
                              'ReqMem': '16?',
                              'State': 'COMPLETED',
                              'Timelimit': '',
                              'TotalCPU': '00:03.509'},
                             {'AllocCPUS': '2',
                              'Elapsed': '00:00:03',
                              'ExitCode': '0:0',
                              'JobID': '52462024.batch',
                              'JobName': 'batch',
                              'MaxRSS': '12248K',
                              'ReqMem': '',
                              'State': 'COMPLETED',
                              'Timelimit': '',
                              'TotalCPU': '00:00.018'},
                             {'AllocCPUS': '2',
                              'Elapsed': '00:00:03',
                              'ExitCode': '0:0',
                              'JobID': '52462024.0',
                              'JobName': 'python',
                              'MaxRSS': '159444K',
                              'ReqMem': '',
                              'State': 'COMPLETED',
                              'Timelimit': '',
                              'TotalCPU': '00:03.491'}],
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
 'timeout': {'checkpoint': '/work/main/results/13-break-it-fix-it/20261206-172852/steps-checkpoint.json',
             'exit_code': '0:0',
             'job_id': '52462000',
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
                       'step 48/240 done after 24.0 s\n'
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
                       'step 135/240 done after 67.6 s\n'
                       'step 136/240 done after 68.1 s\n'
                       'step 137/240 done after 68.6 s\n'
                       'step 138/240 done after 69.1 s\n'
                       'step 139/240 done after 69.6 s\n'
                       'step 140/240 done after 70.1 s\n'
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
                       'slurmstepd-node1: error: *** JOB 52462000 ON node1 CANCELLED AT 2026-12-06T17:30:22 '
                       'DUE TO TIME LIMIT ***\n'
                       'slurmstepd-node1: error: *** STEP 52462000.0 ON node1 CANCELLED AT '
                       '2026-12-06T17:30:22 DUE TO TIME LIMIT ***\n'
                       'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                       'srun: got SIGCONT\n'
                       'srun: error: node1: task 0: Terminated\n',
             'sacct': [{'AllocCPUS': '1',
                        'Elapsed': '00:01:27',
                        'ExitCode': '0:0',
                        'JobID': '52462000',
                        'JobName': 'breakfix-timeout',
                        'MaxRSS': '',
                        'ReqMem': '200M',
                        'State': 'TIMEOUT',
                        'Timelimit': '00:01:00',
                        'TotalCPU': '00:00.148'},
                       {'AllocCPUS': '1',
                        'Elapsed': '00:01:27',
                        'ExitCode': '15:0',
                        'JobID': '52462000.batch',
                        'JobName': 'batch',
                        'MaxRSS': '12528K',
                        'ReqMem': '',
                        'State': 'FAILED',
                        'Timelimit': '',
                        'TotalCPU': '00:00.024'},
                       {'AllocCPUS': '1',
                        'Elapsed': '00:01:27',
                        'ExitCode': '0:15',
                        'JobID': '52462000.0',
                        'JobName': 'python',
                        'MaxRSS': '12156K',
                        'ReqMem': '',
                        'State': 'CANCELLED',
                        'Timelimit': '',
                        'TotalCPU': '00:00.123'}],
             'state': 'TIMEOUT'}}
