"""Slurm and site tooling: submitting and following jobs, the virtual cluster, the site check.

``jobs`` submits a batch script and waits for its end state through any runner (a real
login node or the virtual cluster); ``vcluster`` starts a real Slurm of virtual nodes on
one machine; ``sitecheck`` proves a site profile by running the course's probe jobs.
"""
