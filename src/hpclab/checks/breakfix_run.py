"""The run of lesson 13's cases recorded on the course's virtual cluster (written by a script; do not edit).

``hpclab.checks.breakfix`` grades against it where there is no Slurm (a laptop, ``hpclab grade``'s
sandbox); the lesson replays it there. Remade from a live run of the lesson with
``python jobscripts/programs/breakfix_record.py results/13-break-it-fix-it/<time>/run.json``.
"""

from typing import Any

# fmt: off
RECORDED: dict[str, Any] = {'dask': {'exit_code': '124:0',
          'interfaces': {'eth0': '10.213.103.12', 'lo': '127.0.0.1'},
          'job_id': '39841011',
          'options': ['--export=ALL,HPCLAB_IFACE=lo,BREAKFIX_TIMEOUT=20'],
          'output': 'interface: lo\n'
                    '0: 2026-12-06 14:49:09,094 - distributed.scheduler - INFO - State start\n'
                    '0: 2026-12-06 14:49:09,099 - distributed.scheduler - INFO -   Scheduler at:     '
                    'tls://127.0.0.1:34611\n'
                    '0: 2026-12-06 14:49:09,099 - distributed.scheduler - INFO -   dashboard at:  '
                    'http://127.0.0.1:38319/status\n'
                    '0: 2026-12-06 14:49:09,099 - distributed.scheduler - INFO - Registering Worker plugin '
                    'shuffle\n'
                    '0: 2026-12-06 14:49:09,342 - distributed.scheduler - INFO - Receive client connection: '
                    'Client-317440ef-f184-11f1-8fe3-f641c2a3995a\n'
                    '0: 2026-12-06 14:49:09,348 - distributed.core - INFO - Starting established connection '
                    'to tls://127.0.0.1:40282\n'
                    '0: 2026-12-06 14:49:27,523 - distributed.core - INFO - Connection to '
                    'tls://127.0.0.1:40282 has been closed.\n'
                    '0: 2026-12-06 14:49:27,523 - distributed.scheduler - INFO - Remove client '
                    'Client-317440ef-f184-11f1-8fe3-f641c2a3995a\n'
                    '0: 2026-12-06 14:49:27,524 - distributed.scheduler - INFO - Close client connection: '
                    'Client-317440ef-f184-11f1-8fe3-f641c2a3995a\n'
                    '0: slurmstepd-node1: error: *** STEP 39841011.0 ON node1 FAILED (non-zero exit code or '
                    'other failure mode) ***\n'
                    'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                    'srun: error: node2: task 1: Terminated\n'
                    'srun: launch/slurm: _step_signal: Terminating StepId=39841011.0\n'
                    'srun: error: node1: task 0: Terminated\n',
          'sacct': [{'AllocCPUS': '2',
                     'Elapsed': '00:00:22',
                     'ExitCode': '124:0',
                     'JobID': '39841011',
                     'JobName': 'breakfix-dask',
                     'MaxRSS': '',
                     'ReqMem': '1000M',
                     'State': 'FAILED',
                     'Timelimit': '00:02:00',
                     'TotalCPU': '00:03.965'},
                    {'AllocCPUS': '1',
                     'Elapsed': '00:00:22',
                     'ExitCode': '124:0',
                     'JobID': '39841011.batch',
                     'JobName': 'batch',
                     'MaxRSS': '77828K',
                     'ReqMem': '',
                     'State': 'FAILED',
                     'Timelimit': '',
                     'TotalCPU': '00:01.301'},
                    {'AllocCPUS': '2',
                     'Elapsed': '00:00:20',
                     'ExitCode': '0:15',
                     'JobID': '39841011.0',
                     'JobName': 'python',
                     'MaxRSS': '121452K',
                     'ReqMem': '',
                     'State': 'CANCELLED',
                     'Timelimit': '',
                     'TotalCPU': '00:02.663'}],
          'state': 'FAILED'},
 'hang': {'exit_code': '1:0',
          'job_id': '39841003',
          'output': '1: rank 1 of 2 on node2\n'
                    '0: rank 0 of 2 on node1\n'
                    '0: Current thread 0x00007f6dfdde2b80 (most recent call first):\n'
                    '1: Current thread 0x00007f36cd24bb80 (most recent call first):\n'
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
                    '0: Timeout (0:00:20)!\n'
                    '0: Thread 0x00007f6dfdde2b80 (most recent call first):\n'
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
                    '1: Thread 0x00007f36cd24bb80 (most recent call first):\n'
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
                    'srun: launch/slurm: _step_signal: Terminating StepId=39841003.0\n'
                    'srun: error: node1: task 0: Exited with exit code 1\n',
          'sacct': [{'AllocCPUS': '2',
                     'Elapsed': '00:00:20',
                     'ExitCode': '1:0',
                     'JobID': '39841003',
                     'JobName': 'breakfix-hang',
                     'MaxRSS': '',
                     'ReqMem': '600M',
                     'State': 'FAILED',
                     'Timelimit': '00:02:00',
                     'TotalCPU': '00:38.624'},
                    {'AllocCPUS': '1',
                     'Elapsed': '00:00:20',
                     'ExitCode': '1:0',
                     'JobID': '39841003.batch',
                     'JobName': 'batch',
                     'MaxRSS': '12548K',
                     'ReqMem': '',
                     'State': 'FAILED',
                     'Timelimit': '',
                     'TotalCPU': '00:00.023'},
                    {'AllocCPUS': '2',
                     'Elapsed': '00:00:20',
                     'ExitCode': '1:0',
                     'JobID': '39841003.0',
                     'JobName': 'python',
                     'MaxRSS': '55352K',
                     'ReqMem': '',
                     'State': 'FAILED',
                     'Timelimit': '',
                     'TotalCPU': '00:38.601'}],
          'state': 'FAILED'},
 'no_pmi': {'exit_code': '0:0',
            'job_id': '39841004',
            'output': 'hello from rank 0 of 1 on node2 (CPUs 0)\n'
                      'ring ok: sum of received ranks = 0 (expected 0)\n'
                      'hosts: node2\n'
                      'hello from rank 0 of 1 on node1 (CPUs 1)\n'
                      'ring ok: sum of received ranks = 0 (expected 0)\n'
                      'hosts: node1\n',
            'sacct': [{'AllocCPUS': '2',
                       'Elapsed': '00:00:00',
                       'ExitCode': '0:0',
                       'JobID': '39841004',
                       'JobName': 'allocation',
                       'MaxRSS': '',
                       'ReqMem': '16?',
                       'State': 'COMPLETED',
                       'Timelimit': '',
                       'TotalCPU': '00:00.213'},
                      {'AllocCPUS': '1',
                       'Elapsed': '00:00:00',
                       'ExitCode': '0:0',
                       'JobID': '39841004.batch',
                       'JobName': 'batch',
                       'MaxRSS': '',
                       'ReqMem': '',
                       'State': 'COMPLETED',
                       'Timelimit': '',
                       'TotalCPU': '00:00.014'},
                      {'AllocCPUS': '2',
                       'Elapsed': '00:00:00',
                       'ExitCode': '0:0',
                       'JobID': '39841004.0',
                       'JobName': 'python',
                       'MaxRSS': '',
                       'ReqMem': '',
                       'State': 'COMPLETED',
                       'Timelimit': '',
                       'TotalCPU': '00:00.198'}],
            'state': 'COMPLETED'},
 'oom': {'exit_code': '9:0',
         'job_id': '39841001',
         'output': 'will go through 12 blocks of 50 MB, holding up to 600 MB\n'
                   'block 1/12: holding 50 MB\n'
                   'block 2/12: holding 100 MB\n'
                   'block 3/12: holding 150 MB\n'
                   'block 4/12: holding 200 MB\n'
                   'block 5/12: holding 250 MB\n'
                   'block 6/12: holding 300 MB\n'
                   'slurmstepd-node1: error: StepId=39841001.0 exceeded memory limit (341790720 > '
                   '314572800), being killed\n'
                   'slurmstepd-node1: error: Exceeded job memory limit\n'
                   'slurmstepd-node1: error: *** STEP 39841001.0 ON node1 CANCELLED AT 2026-12-06T14:48:21 '
                   '***\n'
                   'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                   'slurmstepd-node1: error: StepId=39841001.0 exceeded memory limit (341790720 > '
                   '314572800), being killed\n'
                   'srun: error: node1: task 0: Killed\n'
                   'slurmstepd-node1: error: Exceeded job memory limit\n',
         'sacct': [{'AllocCPUS': '1',
                    'Elapsed': '00:00:03',
                    'ExitCode': '9:0',
                    'JobID': '39841001',
                    'JobName': 'breakfix-oom',
                    'MaxRSS': '',
                    'ReqMem': '300M',
                    'State': 'FAILED',
                    'Timelimit': '00:02:00',
                    'TotalCPU': '00:00.978'},
                   {'AllocCPUS': '1',
                    'Elapsed': '00:00:03',
                    'ExitCode': '9:0',
                    'JobID': '39841001.batch',
                    'JobName': 'batch',
                    'MaxRSS': '12604K',
                    'ReqMem': '',
                    'State': 'FAILED',
                    'Timelimit': '',
                    'TotalCPU': '00:00.021'},
                   {'AllocCPUS': '1',
                    'Elapsed': '00:00:03',
                    'ExitCode': '0:9',
                    'JobID': '39841001.0',
                    'JobName': 'python',
                    'MaxRSS': '333780K',
                    'ReqMem': '',
                    'State': 'CANCELLED by 0',
                    'Timelimit': '',
                    'TotalCPU': '00:00.956'}],
         'state': 'FAILED'},
 'pending': {'drained': ['node2'],
             'job_id': '39841005,39841006,39841007',
             'jobs': {'39841005': {'options': ['--partition=short', '--time=00:10:00'],
                                   'reason': 'PartitionTimeLimit'},
                      '39841006': {'options': ['--nodelist=node2'],
                                   'reason': 'ReqNodeNotAvail, UnavailableNodes:node2'},
                      '39841007': {'options': ['--dependency=afterok:39841001'],
                                   'reason': 'DependencyNeverSatisfied'}},
             'short_max_s': 300,
             'short_partition': 'short',
             'sinfo': 'REASON               USER      TIMESTAMP           NODELIST\n'
                      'maintenance          root      2026-12-06T14:48:52 node2\n',
             'squeue': 'JOBID|STATE|REASON\n'
                       '39841006|PENDING|ReqNodeNotAvail, UnavailableNodes:node2\n'
                       '39841007|PENDING|DependencyNeverSatisfied\n'
                       '39841005|PENDING|PartitionTimeLimit\n'},
 'recorded': "2026-12-06 14:48 UTC on the course's virtual cluster",
 'timeout': {'checkpoint': '/work/main/results/13-break-it-fix-it/20261206-144815/steps-checkpoint.json',
             'exit_code': '0:0',
             'job_id': '39841000',
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
                       'step 37/240 done after 18.6 s\n'
                       'step 38/240 done after 19.1 s\n'
                       'step 39/240 done after 19.6 s\n'
                       'step 40/240 done after 20.1 s\n'
                       'step 41/240 done after 20.6 s\n'
                       'step 42/240 done after 21.1 s\n'
                       'step 43/240 done after 21.6 s\n'
                       'step 44/240 done after 22.1 s\n'
                       'step 45/240 done after 22.6 s\n'
                       'step 46/240 done after 23.1 s\n'
                       'step 47/240 done after 23.6 s\n'
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
                       'step 109/240 done after 54.7 s\n'
                       'step 110/240 done after 55.2 s\n'
                       'step 111/240 done after 55.7 s\n'
                       'step 112/240 done after 56.2 s\n'
                       'step 113/240 done after 56.7 s\n'
                       'step 114/240 done after 57.2 s\n'
                       'step 115/240 done after 57.7 s\n'
                       'step 116/240 done after 58.2 s\n'
                       'step 117/240 done after 58.7 s\n'
                       'step 118/240 done after 59.2 s\n'
                       'step 119/240 done after 59.7 s\n'
                       'step 120/240 done after 60.2 s\n'
                       'step 121/240 done after 60.7 s\n'
                       'step 122/240 done after 61.2 s\n'
                       'step 123/240 done after 61.7 s\n'
                       'step 124/240 done after 62.2 s\n'
                       'step 125/240 done after 62.7 s\n'
                       'step 126/240 done after 63.2 s\n'
                       'step 127/240 done after 63.7 s\n'
                       'step 128/240 done after 64.2 s\n'
                       'step 129/240 done after 64.7 s\n'
                       'step 130/240 done after 65.2 s\n'
                       'step 131/240 done after 65.7 s\n'
                       'step 132/240 done after 66.2 s\n'
                       'step 133/240 done after 66.7 s\n'
                       'step 134/240 done after 67.2 s\n'
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
                       'slurmstepd-node1: error: *** JOB 39841000 ON node1 CANCELLED AT 2026-12-06T14:49:45 '
                       'DUE TO TIME LIMIT ***\n'
                       'slurmstepd-node1: error: *** STEP 39841000.0 ON node1 CANCELLED AT '
                       '2026-12-06T14:49:45 DUE TO TIME LIMIT ***\n'
                       'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.\n'
                       'srun: got SIGCONT\n'
                       'srun: forcing job termination\n'
                       'srun: error: node1: task 0: Terminated\n',
             'sacct': [{'AllocCPUS': '1',
                        'Elapsed': '00:01:27',
                        'ExitCode': '0:0',
                        'JobID': '39841000',
                        'JobName': 'breakfix-timeout',
                        'MaxRSS': '',
                        'ReqMem': '200M',
                        'State': 'TIMEOUT',
                        'Timelimit': '00:01:00',
                        'TotalCPU': '00:00.168'},
                       {'AllocCPUS': '1',
                        'Elapsed': '00:01:27',
                        'ExitCode': '0:15',
                        'JobID': '39841000.batch',
                        'JobName': 'batch',
                        'MaxRSS': '12760K',
                        'ReqMem': '',
                        'State': 'CANCELLED',
                        'Timelimit': '',
                        'TotalCPU': '00:00.007'},
                       {'AllocCPUS': '1',
                        'Elapsed': '00:01:27',
                        'ExitCode': '0:15',
                        'JobID': '39841000.0',
                        'JobName': 'python',
                        'MaxRSS': '12160K',
                        'ReqMem': '',
                        'State': 'CANCELLED',
                        'Timelimit': '',
                        'TotalCPU': '00:00.160'}],
             'state': 'TIMEOUT'}}
